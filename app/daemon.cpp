#include "app/daemon.hpp"

#include <dirent.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>

#include "app/kernel_dataplane.hpp"
#include "app/run/bound_interfaces.hpp"
#include "app/run/cli_socket.hpp"
#include "app/run/daemon_log.hpp"
#include "app/run/ike_sockets.hpp"
#include "app/run/ssh_listener.hpp"
#include "app/run/stdin_console.hpp"
#include "cli/display_formats.hpp"
#include "config/interface_name.hpp"
#include "config/secret.hpp"
#include "device/wireshark_tables.hpp"
#include "ike/work_budget.hpp"

namespace vfw {
namespace {

namespace asio = boost::asio;

// The share of the core IKE may spend on Diffie-Hellman for requesters (ike/work_budget.hpp).
constexpr double kIkeShareOfCore = 0.2;

std::string two_decimals(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

// The daemon wires its transports on one io_context: the log, IKE's UDP sockets or the bound
// interfaces (or the kernel data plane), the CLI socket, SSH and the console; a tick for the
// device's timers; the signals. Each transport hands its input to the device and calls pump(),
// which sends what the device queued in answer.
class Daemon {
 public:
  Daemon(Device& device, const DaemonOptions& options)
      : device_(device),
        options_(options),
        log_(io_, device),
        signals_(io_, SIGTERM, SIGINT),
        hangups_(io_, SIGHUP),
        tick_(io_) {}

  int run() {
    ::signal(SIGPIPE, SIG_IGN);  // a log reader that goes away does not stop the device
    device_.follow_wall_clock();
    // Another vfw run answering on the socket keeps it: this one refuses to start rather than
    // take the other's CLI away. A socket file no one answers on is a stale one, replaced.
    if (!options_.socket_path.empty()) {
      asio::local::stream_protocol::socket probe(io_);
      boost::system::error_code ec;
      probe.connect(asio::local::stream_protocol::endpoint(options_.socket_path), ec);
      if (!ec) {
        log_.line("VFW/3/CLI: another vfw run answers on " + options_.socket_path +
                  "; not starting");
        return 1;
      }
    }
    // What a save interrupted by kill -9 left beside the configuration: never a configuration.
    remove_interrupted_saves(options_.save_path);
    if (!options_.log_host.empty()) {
      if (Status opened = log_.open_host(options_.log_host); !opened) {
        log_.line("VFW/3/LOGHOST: " + opened.error().message);
        return 1;
      }
    }
    device_.ike().keys_in_log = options_.debug;
    set_ike_budget();
    for (const auto& problem : device_.ike().problems()) log_.line("IKE/4/CONFIG: " + problem);
    if (options_.kernel_dataplane) {
      if (!start_kernel_dataplane()) return 1;
    } else if (!options_.binds.empty()) {
      bound_.emplace(io_, device_, log_);
      if (Status bound = bound_->bind(options_.binds); !bound) {
        log_.line("VFW/3/BIND: " + bound.error().message);
        return 1;
      }
    }
    if (!bound_) {
      sockets_.emplace(io_, device_, log_, [this] { pump(); });
      sockets_->open();
      if (sockets_->empty())
        log_.line("IKE/4/BIND: no interface address of the configuration is on this host");
      device_.set_egress_sink(
          [this](std::span<const uint8_t> p, uint16_t out) { sockets_->egress(p, out); });
    }
    start_ssh();
    // Signals (README, "vfw run"): SIGTERM, SIGINT, SIGUSR1 and SIGUSR2 stop the device in order
    // (its IKE SAs deleted, the peers told, the socket file removed); SIGHUP, a closed terminal,
    // is logged and ignored, as a firewall goes on when its console goes; SIGPIPE, a log reader
    // that went away, is ignored from the start (the write fails, the device goes on).
    signals_.add(SIGUSR1);
    signals_.add(SIGUSR2);
    signals_.async_wait([this](const boost::system::error_code&, int signal) { stop(signal); });
    wait_for_hangup();
    schedule_tick();
    if (!options_.socket_path.empty()) {
      cli_.emplace(
          io_, device_, log_, [this] { pump(); }, options_.save_path);
      cli_->listen(options_.socket_path);
    }
    if (options_.terminal) {
      console_.emplace(
          io_, device_, [this] { pump(); }, options_.save_path);
      console_->start();
    }
    log_.line("VFW/6/START: " + device_.config().sysname + " running");
    io_.run();
    bound_.reset();
    device_.set_egress_sink({});
    return 0;
  }

 private:
  // What IKE may spend on requesters, from what Diffie-Hellman costs on this machine: a fifth
  // of the core, so that forwarding keeps the rest under any IKE load (docs/robustness.md).
  void set_ike_budget() {
    double ms_per_computation = 0;
    const uint32_t units = ike::measure_units_per_second(kIkeShareOfCore, &ms_per_computation);
    device_.ike().work_budget().set_units_per_second(units);
    const uint32_t modp2048 = units / ike::WorkBudget::cost(*ike::find_dh_group(14));
    log_.line("IKE/6/BUDGET: at most " + std::to_string(modp2048) +
              " MODP-2048 responder computations a second (" + std::to_string(units) +
              " units; one takes " + two_decimals(ms_per_computation) + " ms here: " +
              std::to_string(static_cast<int>(kIkeShareOfCore * 100)) + "% of this core)");
  }

  // What the device queued after an event: IKE's datagrams (and, on bound interfaces, the
  // released packets and ARP's retries) sent, its log lines written.
  void pump() {
    if (bound_)
      bound_->run();
    else if (sockets_)
      sockets_->send_datagrams();
    log_.flush();
  }

  // --dataplane kernel: the kernel forwards; the device's addresses go on the bound interfaces
  // (where IKE then listens, as without --bind), and the sessions are read from conntrack.
  bool start_kernel_dataplane() {
    std::vector<std::pair<std::string, std::string>> binds;
    for (const auto& [name, linux_name] : options_.binds) {
      const auto full = config::normalize_interface(name);
      if (!full || device_.config().interfaces.count(*full) == 0) {
        log_.line("VFW/3/BIND: the configuration has no interface " + name);
        return false;
      }
      binds.emplace_back(*full, linux_name);
    }
    kernel_ = std::make_unique<KernelDataplane>(
        device_, std::move(binds), [this](const std::string& line) { log_.line(line); });
    if (!kernel_->start()) return false;
    kernel_generation_ = device_.generation();
    device_.set_session_source({[this] { kernel_->refresh_sessions(); },
                                [this](const Session& s) { kernel_->remove_session(s); }});
    return true;
  }

  void start_ssh() {
    if (options_.ssh_port == 0) return;
    SshListener::Options o;
    o.port = options_.ssh_port;
    o.host_key_path =
        options_.ssh_host_key.empty() ? default_ssh_host_key_path() : options_.ssh_host_key;
    o.save_path = options_.save_path;
    o.manage_interface = options_.manage_interface;
    ssh_.emplace(
        io_, device_, log_, [this] { pump(); },
        [this](uint16_t interface) { return bound_ && bound_->holds(interface); }, std::move(o));
    ssh_->start();
  }

  void schedule_tick() {
    tick_.expires_after(std::chrono::milliseconds(200));
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      device_.ike_tick();
      pump();
      cli::sample_process_usage();  // display cpu-usage's windows
      if (bound_) bound_->count_host_drops();
      if (!options_.keys_dir.empty()) refresh_keys();
      if (kernel_ && device_.generation() != kernel_generation_) {
        // A line typed at the CLI changed the configuration: the kernel follows.
        kernel_generation_ = device_.generation();
        kernel_->configuration_changed();
      }
      schedule_tick();
    });
  }

  // --keys DIR: the tables rewritten when what they hold changed (a few SAs: compared whole).
  void refresh_keys() {
    WiresharkTables now = wireshark_tables({&device_});
    if (now.esp_sa == keys_.esp_sa && now.ikev2 == keys_.ikev2 && now.ikev1 == keys_.ikev1) return;
    if (std::string error = write_wireshark_tables(options_.keys_dir, now); !error.empty()) {
      log_.line("VFW/4/KEYS: " + error);
      return;
    }
    keys_ = std::move(now);
  }

  void wait_for_hangup() {
    hangups_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      log_.line("VFW/4/SIGNAL: SIGHUP: ignored, the device goes on (its terminal went away)");
      wait_for_hangup();
    });
  }

  void stop(int signal) {
    const char* name = signal == SIGTERM   ? "SIGTERM"
                       : signal == SIGINT  ? "SIGINT"
                       : signal == SIGUSR1 ? "SIGUSR1"
                                           : "SIGUSR2";
    log_.line(std::string("VFW/6/STOP: ") + name + ": deleting the IKE SAs and stopping");
    device_.ike().delete_all(device_.now_ms());
    device_.ike_tick();
    pump();
    if (!options_.socket_path.empty()) ::unlink(options_.socket_path.c_str());
    if (ssh_) ssh_->stop();
    hangups_.cancel();
    if (kernel_)
      log_.line(
          "VFW/6/KERNEL: table ip vfw stays in the kernel: it goes on enforcing the last "
          "configuration (nft delete table ip vfw to remove it)");
    io_.stop();
  }

  Device& device_;
  DaemonOptions options_;
  asio::io_context io_;
  DaemonLog log_;
  asio::signal_set signals_;
  asio::signal_set hangups_;
  asio::steady_timer tick_;
  // The transports, each present when the options ask for it.
  std::optional<IkeSockets> sockets_;
  WiresharkTables keys_;  // what --keys last wrote
  std::optional<BoundInterfaces> bound_;
  std::optional<CliListener> cli_;
  std::optional<SshListener> ssh_;
  std::optional<StdinConsole> console_;
  std::unique_ptr<KernelDataplane> kernel_;
  uint64_t kernel_generation_ = 0;  // the configuration the kernel holds
};

}  // namespace

void remove_interrupted_saves(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string folder = slash == std::string::npos ? "." : path.substr(0, slash);
  const std::string prefix = (slash == std::string::npos ? path : path.substr(slash + 1)) + ".tmp-";
  DIR* dir = ::opendir(folder.c_str());
  if (dir == nullptr) return;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    // write_file_atomically's own temporary names: the prefix and six characters of mkstemp's.
    if (name.size() == prefix.size() + 6 && name.compare(0, prefix.size(), prefix) == 0)
      ::unlink((folder + "/" + name).c_str());
  }
  ::closedir(dir);
}

int run_daemon(Device& device, const DaemonOptions& options) {
  Daemon d(device, options);
  return d.run();
}

std::string default_ssh_host_key_path() {
  if (const char* path = std::getenv("VFW_SSH_HOST_KEY"); path != nullptr && *path != '\0')
    return path;
  return config::machine_folder() + "/ssh_host_ed25519_key";
}

}  // namespace vfw
