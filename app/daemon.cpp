#include "app/daemon.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <boost/asio.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>

#include "app/kernel_dataplane.hpp"
#include "app/log_host.hpp"
#include "cli/command_tree.hpp"
#include "cli/display_formats.hpp"
#include "cli/line_runner.hpp"
#include "config/interface_name.hpp"
#include "config/secret.hpp"
#include "device/ethernet_front_end.hpp"
#include "device/rate_limited_log.hpp"
#include "ike/work_budget.hpp"
#include "manage/ssh_server.hpp"
#include "netio/host_check.hpp"
#include "netio/link_monitor.hpp"
#include "netio/packet_socket.hpp"
#include "netio/tap_device.hpp"
#include "packet/headers.hpp"
#include "packet/packet.hpp"

namespace vfw {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using UnixSocket = asio::local::stream_protocol::socket;

// Separates a response from the next on the local socket: the client strips it.
constexpr char kEndOfResponse = '\x1e';
// The share of the core IKE may spend on Diffie-Hellman for requesters (ike/work_budget.hpp).
constexpr double kIkeShareOfCore = 0.2;

std::string two_decimals(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", v);
  return text;
}

class Daemon {
 public:
  Daemon(Device& device, const DaemonOptions& options)
      : device_(device),
        options_(options),
        signals_(io_, SIGTERM, SIGINT),
        hangups_(io_, SIGHUP),
        tick_(io_),
        stdin_(io_),
        acceptor_(io_),
        accept_pause_(io_) {}

  int run() {
    ::signal(SIGPIPE, SIG_IGN);  // a log reader that goes away does not stop the device
    device_.follow_wall_clock();
    // Another vfw run answering on the socket keeps it: this one refuses to start rather than
    // take the other's CLI away. A socket file no one answers on is a stale one, replaced.
    if (!options_.socket_path.empty()) {
      UnixSocket probe(io_);
      boost::system::error_code ec;
      probe.connect(asio::local::stream_protocol::endpoint(options_.socket_path), ec);
      if (!ec) {
        log("VFW/3/CLI: another vfw run answers on " + options_.socket_path + "; not starting");
        return 1;
      }
    }
    // What a save interrupted by kill -9 left beside the configuration: never a configuration.
    remove_interrupted_saves(options_.save_path);
    if (!open_log_host()) return 1;
    device_.ike().keys_in_log = options_.debug;
    // What IKE may spend on requesters, from what Diffie-Hellman costs on this machine: a fifth
    // of the core, so that forwarding keeps the rest under any IKE load (docs/robustness.md).
    double ms_per_computation = 0;
    const uint32_t units = ike::measure_units_per_second(kIkeShareOfCore, &ms_per_computation);
    device_.ike().work_budget().set_units_per_second(units);
    const uint32_t modp2048 = units / ike::WorkBudget::cost(*ike::find_dh_group(14));
    log("IKE/6/BUDGET: at most " + std::to_string(modp2048) +
        " MODP-2048 responder computations a second (" + std::to_string(units) +
        " units; one takes " + two_decimals(ms_per_computation) +
        " ms here: " + std::to_string(static_cast<int>(kIkeShareOfCore * 100)) + "% of this core)");
    for (const auto& problem : device_.ike().problems()) log("IKE/4/CONFIG: " + problem);
    if (options_.kernel_dataplane) {
      if (!start_kernel_dataplane()) return 1;
    } else if (!options_.binds.empty()) {
      if (!bind_interfaces()) return 1;
    }
    if (options_.binds.empty() || options_.kernel_dataplane) {
      open_sockets();
      if (sockets_.empty())
        log("IKE/4/BIND: no interface address of the configuration is on this host");
      device_.set_egress_sink([this](std::span<const uint8_t> p, uint16_t out) { egress(p, out); });
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
    if (!options_.socket_path.empty()) open_cli_socket();
    if (options_.terminal) {
      runner_ = std::make_unique<LineRunner>(device_);
      runner_->ctx.save_path = options_.save_path;
      stdin_.assign(::dup(STDIN_FILENO));
      prompt();
      read_terminal();
    }
    log("VFW/6/START: " + device_.config().sysname + " running");
    io_.run();
    frames_.reset();
    device_.set_egress_sink({});
    return 0;
  }

 private:
  struct Socket {
    Ipv4 address;
    uint16_t port;
    std::unique_ptr<udp::socket> socket;
    std::array<uint8_t, 65536> buffer{};
    udp::endpoint sender;
  };
  struct CliConnection {
    UnixSocket socket;
    // A line is at most the device's 510 characters: a longer one without its newline fills the
    // buffer, the read fails and the connection closes, whatever was sent (no unbounded memory).
    asio::streambuf input{kMaxCommandLine + 2};
    LineRunner runner;
    CliConnection(asio::io_context& io, Device& d) : socket(io), runner(d) {}
  };

  void log(const std::string& raw) {
    // Whatever came from outside (a user name, a banner, an identity) is one line of data.
    const std::string line = log_safe(raw);
    device_.log(line);
    std::cerr << device_.timestamp() << device_.config().sysname << " " << line << "\n"
              << std::flush;
    to_log_host(line);
  }

  // --log-host: the record as syslog over UDP; a log host that is not there loses it, as UDP does.
  void to_log_host(const std::string& line) {
    if (!log_host_) return;
    const auto message = syslog_message(line, device_.config().sysname, std::time(nullptr));
    if (!message) return;
    boost::system::error_code ec;
    log_host_->send_to(asio::buffer(*message), log_host_at_, 0, ec);
  }

  bool open_log_host() {
    if (options_.log_host.empty()) return true;
    const size_t colon = options_.log_host.find(':');
    const auto address = parse_ipv4(options_.log_host.substr(0, colon));
    unsigned long port = 514;
    if (colon != std::string::npos) {
      const std::string digits = options_.log_host.substr(colon + 1);
      port = digits.empty() || digits.size() > 5 ||
                     digits.find_first_not_of("0123456789") != std::string::npos
                 ? 0
                 : std::stoul(digits);
    }
    if (!address || port == 0 || port > 65535) {
      log("VFW/3/LOGHOST: " + options_.log_host + " is not ADDRESS[:PORT]");
      return false;
    }
    log_host_at_ = udp::endpoint(asio::ip::address_v4(address->v), static_cast<uint16_t>(port));
    log_host_ = std::make_unique<udp::socket>(io_);
    boost::system::error_code ec;
    log_host_->open(udp::v4(), ec);
    if (ec) {
      log("VFW/3/LOGHOST: " + ec.message());
      log_host_.reset();
      return false;
    }
    return true;
  }

  void flush_log() {
    for (const auto& raw : device_.ike().take_log()) {
      const std::string line = log_safe(raw);  // identities and notifications come from outside
      device_.log(line);
      std::cerr << line << "\n";
      to_log_host(line);
    }
    std::cerr << std::flush;
    // debugging ikev2 error / ipsec error: on the terminal, as the device prints them.
    for (const auto& line : device_.ike().take_debug()) std::cout << "\n" << line << "\n";
    std::cout << std::flush;
  }

  // --dataplane kernel: the kernel forwards; the device's addresses go on the bound interfaces
  // (where IKE then listens, as without --bind), and the sessions are read from conntrack.
  bool start_kernel_dataplane() {
    std::vector<std::pair<std::string, std::string>> binds;
    for (const auto& [name, linux_name] : options_.binds) {
      const auto full = config::normalize_interface(name);
      if (!full || device_.config().interfaces.count(*full) == 0) {
        log("VFW/3/BIND: the configuration has no interface " + name);
        return false;
      }
      binds.emplace_back(*full, linux_name);
    }
    kernel_ = std::make_unique<KernelDataplane>(device_, std::move(binds),
                                                [this](const std::string& line) { log(line); });
    if (!kernel_->start()) return false;
    kernel_generation_ = device_.generation();
    device_.set_session_source({[this] { kernel_->refresh_sessions(); },
                                [this](const Session& s) { kernel_->remove_session(s); }});
    return true;
  }

  struct Bound {
    uint16_t index = 0;
    std::string name;  // the device's interface
    std::string linux_name;
    bool tap = false;
    std::unique_ptr<FramePort> socket;
    std::unique_ptr<asio::posix::stream_descriptor> descriptor;
    std::vector<EthernetFrontEnd::Frame> frames;
  };

  // --bind: each device interface on its Linux interface; the host's own stack must keep off.
  bool bind_interfaces() {
    frames_ = std::make_unique<EthernetFrontEnd>(
        device_, [this](uint16_t interface, std::span<const uint8_t> frame, EthernetFrontEnd::Tag) {
          const auto it = bound_.find(interface);
          // An interface whose Linux interface is gone sends nothing until it returns.
          if (it != bound_.end() && it->second.socket) it->second.socket->queue(frame);
        });
    for (const auto& [name, linux_name] : options_.binds) {
      const auto normal = config::normalize_interface(name);
      const uint16_t index =
          normal ? device_.snapshot().interface_index(*normal) : uint16_t{kNoInterface};
      if (index == kNoInterface) {
        log("VFW/3/BIND: the configuration has no interface " + name);
        return false;
      }
      if (bound_.count(index) != 0) {
        log("VFW/3/BIND: " + *normal + " is bound twice");
        return false;
      }
      for (const auto& [other, b] : bound_) {
        if (b.linux_name == linux_name) {
          log("VFW/3/BIND: " + linux_name + " is bound twice");
          return false;
        }
      }
      // tap:NAME makes a TAP device; anything else is an existing interface, on AF_PACKET.
      const bool tap = linux_name.rfind("tap:", 0) == 0;
      std::unique_ptr<FramePort> socket;
      if (tap) {
        auto opened = TapDevice::open(linux_name.substr(4));
        if (!opened) {
          log("VFW/3/BIND: " + opened.error().message);
          return false;
        }
        socket = std::move(*opened);
      } else {
        auto opened = PacketSocket::open(linux_name);
        if (!opened) {
          log("VFW/3/BIND: " + opened.error().message);
          return false;
        }
        socket = std::move(*opened);
      }
      if (!tap) {
        for (const auto& warning : host_stack_warnings(linux_name)) log("VFW/4/BIND: " + warning);
      }
      frames_->attach(index, socket->mac());
      log("VFW/6/BIND: " + *normal + " on " + linux_name + " (" + mac_text(socket->mac()) +
          ", MTU " + std::to_string(socket->mtu()) + ")");
      Bound& b = bound_[index];
      b.index = index;
      b.name = *normal;
      b.linux_name = linux_name;
      b.tap = tap;
      b.socket = std::move(socket);
      b.descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, ::dup(b.socket->fd()));
    }
    // Following first, then looking: a change in between is not lost.
    follow_links();
    for (auto& [index, b] : bound_) {
      wait_frames(b);
      if (!b.tap && !LinkMonitor::current(b.linux_name).up) link_changed(b, false, "no carrier");
    }
    return true;
  }

  // rtnetlink: an interface under a bound one deleted (its socket closed, the interface down),
  // an interface of that name back (bound again), a carrier lost or found (down, up).
  void follow_links() {
    auto opened = LinkMonitor::open();
    if (!opened) {
      log("VFW/4/LINK: " + opened.error().message +
          "; an interface that goes away is not followed");
      return;
    }
    links_ = std::move(*opened);
    const int fd = ::fcntl(links_->fd(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      log(std::string("VFW/4/LINK: ") + std::strerror(errno) +
          "; an interface that goes away is not followed");
      links_.reset();
      return;
    }
    links_descriptor_ = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
    wait_links();
  }

  void wait_links() {
    links_descriptor_->async_wait(asio::posix::stream_descriptor::wait_read,
                                  [this](const boost::system::error_code& ec) {
                                    if (ec) return;
                                    bool overflowed = false;
                                    auto events = links_->receive(overflowed);
                                    if (overflowed) {
                                      // Some were lost: look at each bound interface afresh.
                                      events.clear();
                                      for (const auto& [index, b] : bound_)
                                        if (!b.tap)
                                          events.push_back(LinkMonitor::current(b.linux_name));
                                    }
                                    for (const auto& e : events) on_link(e);
                                    flush_log();
                                    wait_links();
                                  });
  }

  void on_link(const LinkEvent& e) {
    for (auto& [index, b] : bound_) {
      if (b.tap || b.linux_name != e.name) continue;
      const bool same = b.socket && b.socket->ifindex() == e.index;
      // A late deletion of an interface already replaced (another index) is not this one's.
      if (b.socket && ((e.deleted && same) || (!e.deleted && (e.index == 0 || !same)))) {
        // Gone (or replaced by a new interface of the same name): the old socket reads nothing.
        b.descriptor.reset();
        b.socket.reset();
        log("VFW/4/LINK: " + b.name + " lost " + b.linux_name +
            " (deleted); down until an interface of that name returns");
        link_changed(b, false, "");
      }
      if (!b.socket && !e.deleted && e.index != 0) {
        auto opened = PacketSocket::open(b.linux_name);
        if (!opened) {
          log("VFW/3/LINK: " + b.name + ": " + b.linux_name +
              " is back but cannot be bound: " + opened.error().message);
          continue;
        }
        std::unique_ptr<PacketSocket> socket = std::move(*opened);
        const int fd = ::fcntl(socket->fd(), F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {  // out of descriptors: tried again at the interface's next event
          log("VFW/3/LINK: " + b.name + ": " + b.linux_name +
              " is back but cannot be bound: " + std::strerror(errno));
          continue;
        }
        frames_->attach(index, socket->mac());
        b.socket = std::move(socket);
        b.descriptor = std::make_unique<asio::posix::stream_descriptor>(io_, fd);
        wait_frames(b);
        log("VFW/6/LINK: " + b.name + " bound again on " + b.linux_name + " (" +
            mac_text(b.socket->mac()) + ", MTU " + std::to_string(b.socket->mtu()) + ")");
      }
      if (b.socket) link_changed(b, e.up, e.up ? "" : "no carrier");
    }
  }

  // The device's view of the link, logged when it changes.
  void link_changed(Bound& b, bool up, const std::string& why) {
    if (!device_.set_link(b.name, up)) return;
    log("VFW/4/LINK: " + b.name + " (" + b.linux_name + ") is " + (up ? "up" : "down") +
        (why.empty() ? "" : " (" + why + ")"));
  }

  void wait_frames(Bound& b) {
    b.descriptor->async_wait(asio::posix::stream_descriptor::wait_read,
                             [this, &b](const boost::system::error_code& ec) {
                               if (ec) return;
                               read_frames(b);
                               wait_frames(b);
                             });
  }

  // What is waiting on one interface, a batch at a time, through the pipeline.
  void read_frames(Bound& b) {
    for (int rounds = 0; rounds < 16; ++rounds) {
      const size_t n = b.socket->receive();
      if (n == 0) break;
      b.frames.resize(n);
      for (size_t i = 0; i < n; ++i) {
        b.frames[i] = {b.socket->frame(i), b.socket->length(i), b.socket->capacity(i)};
      }
      frames_->receive(b.index, b.frames);
      flush_frames();
      if (n < 16) break;  // a short read: the queue is drained
    }
    flush_log();
  }

  void open_sockets() {
    for (const auto& [name, ifc] : device_.config().interfaces) {
      if (!ifc.address) continue;
      for (const uint16_t port : {ike::kIkePort, ike::kNatTraversalPort}) {
        auto s = std::make_unique<Socket>();
        s->address = ifc.address->host;
        s->port = port;
        s->socket = std::make_unique<udp::socket>(io_);
        boost::system::error_code ec;
        const udp::endpoint at(asio::ip::address_v4(ifc.address->host.v), port);
        s->socket->open(udp::v4(), ec);
        if (!ec) s->socket->set_option(udp::socket::reuse_address(true), ec);
        if (!ec) s->socket->bind(at, ec);
        if (ec) {
          if (port == ike::kIkePort)
            log("IKE/6/BIND: " + to_string(ifc.address->host) + " (" + name +
                ") is not an address of this host: " + ec.message());
          continue;
        }
        log("IKE/6/BIND: listening on " + to_string(ifc.address->host) + ":" +
            std::to_string(port) + " (" + name + ")");
        interface_of_[ifc.address->host.v] = name;
        Socket& ref = *s;
        sockets_.push_back(std::move(s));
        receive(ref);
      }
    }
  }

  Socket* socket_for(Ipv4 address, uint16_t port) {
    for (const auto& s : sockets_) {
      if (s->address == address && s->port == port) return s.get();
    }
    return nullptr;
  }

  void receive(Socket& s) {
    s.socket->async_receive_from(asio::buffer(s.buffer), s.sender,
                                 [this, &s](const boost::system::error_code& ec, size_t n) {
                                   if (ec == asio::error::operation_aborted) return;
                                   if (!ec) datagram(s, n);
                                   receive(s);
                                 });
  }

  void datagram(Socket& s, size_t n) {
    const ike::Endpoint local{s.address, s.port};
    const ike::Endpoint remote{Ipv4{s.sender.address().to_v4().to_uint()}, s.sender.port()};
    std::span<const uint8_t> bytes(s.buffer.data(), n);
    if (s.port == ike::kNatTraversalPort) {
      if (n == 1 && bytes[0] == 0xff) return;  // NAT keepalive (RFC 3948 2.3)
      if (n >= 4 && load32(bytes.data()) != 0) {
        esp_in_udp(local, remote, bytes);
        return;
      }
      if (n < 4) return;
      bytes = bytes.subspan(4);  // the non-ESP marker before an IKE message
    }
    device_.ike_receive(local, remote, bytes);
    flush_ike();
  }

  // ESP in UDP from a peer: the packet as it arrived on the wire, through the data plane.
  void esp_in_udp(const ike::Endpoint& local, const ike::Endpoint& remote,
                  std::span<const uint8_t> payload) {
    std::vector<uint8_t> packet(28 + payload.size());
    write_ipv4_header(packet.data(), {0, static_cast<uint16_t>(packet.size()), 0, false, 64,
                                      ipproto::kUdp, remote.address, local.address});
    write_udp_header(&packet[20], remote.port, local.port,
                     static_cast<uint16_t>(8 + payload.size()));
    std::copy(payload.begin(), payload.end(), packet.begin() + 28);
    Trace trace;
    const auto it = interface_of_.find(local.address.v);
    if (it == interface_of_.end()) return;
    const Action a = device_.receive(packet, it->second, &trace);
    const auto& r = trace.result;
    std::string what;
    if (a == Action::Drop) {
      what = " dropped: " + std::string(drop_reason_id(r.drop));
    } else {
      PacketInfo inner;
      parse_ipv4(packet, inner);
      what = ", decrypted: " + to_string(inner.src) + " -> " + to_string(inner.dst) + " protocol " +
             std::to_string(inner.protocol) + ", to " +
             (a == Action::ToDevice ? std::string("the device") : r.output);
    }
    // One line a packet, but at most 10 a second: ESP from outside may be a flood.
    if (packet_log_.allow(device_.now_ms()))
      log("IPSEC/6/ESP: ESP from " + to_string(remote.address) + ":" + std::to_string(remote.port) +
          what + packet_log_.unlogged_note());
    flush_ike();
  }

  // A forwarded packet: sent for real when it leaves in a UDP-encapsulated tunnel from one of
  // the addresses the daemon holds; shown otherwise.
  void egress(std::span<const uint8_t> packet, uint16_t out) {
    PacketInfo info;
    if (parse_ipv4(packet, info) != DropReason::None) return;
    if (info.protocol == ipproto::kUdp && info.src_port == ike::kNatTraversalPort) {
      if (Socket* s = socket_for(info.src, ike::kNatTraversalPort)) {
        const auto payload = packet.subspan(info.header_length + 8);
        boost::system::error_code ec;
        s->socket->send_to(asio::buffer(payload.data(), payload.size()),
                           udp::endpoint(asio::ip::address_v4(info.dst.v), info.dst_port), 0, ec);
        if (packet_log_.allow(device_.now_ms()))
          log("IPSEC/6/ESP: ESP in UDP to " + to_string(info.dst) + ":" +
              std::to_string(info.dst_port) + (ec ? " not sent: " + ec.message() : " sent") +
              packet_log_.unlogged_note());
        return;
      }
    }
    if (packet_log_.allow(device_.now_ms()))
      log("VFW/6/EGRESS: " + to_string(info.src) + " -> " + to_string(info.dst) + " leaves " +
          device_.snapshot().interfaces[out].name +
          " (not sent: only UDP-encapsulated tunnels leave a daemon without bound interfaces)" +
          packet_log_.unlogged_note());
  }

  // What the bound interfaces queued, sent a batch at a time.
  void flush_frames() {
    for (auto& [index, b] : bound_)
      if (b.socket) b.socket->flush();
  }

  void flush_ike() {
    if (frames_) {
      frames_->run();
      flush_frames();
      flush_log();
      return;
    }
    for (auto& d : device_.ike_take_datagrams()) {
      Socket* s = socket_for(d.local.address, d.local.port);
      if (s == nullptr) {
        log("IKE/4/SEND: no socket on " + to_string(d.local.address) + ":" +
            std::to_string(d.local.port));
        continue;
      }
      std::vector<uint8_t> bytes;
      if (d.local.port == ike::kNatTraversalPort && !d.keepalive)
        bytes.assign(4, 0);  // non-ESP marker
      bytes.insert(bytes.end(), d.bytes.begin(), d.bytes.end());
      boost::system::error_code ec;
      s->socket->send_to(asio::buffer(bytes),
                         udp::endpoint(asio::ip::address_v4(d.remote.address.v), d.remote.port), 0,
                         ec);
      if (ec) log("IKE/4/SEND: to " + to_string(d.remote.address) + ": " + ec.message());
    }
    flush_log();
  }

  void schedule_tick() {
    tick_.expires_after(std::chrono::milliseconds(200));
    tick_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      device_.ike_tick();
      flush_ike();
      cli::sample_process_usage();  // display cpu-usage's windows
      // What the host dropped before vfw read it, for display interface.
      for (auto& [index, b] : bound_)
        if (b.socket) device_.counters(index).host_drops += b.socket->take_host_drops();
      if (kernel_ && device_.generation() != kernel_generation_) {
        // A line typed at the CLI changed the configuration: the kernel follows.
        kernel_generation_ = device_.generation();
        kernel_->configuration_changed();
      }
      schedule_tick();
    });
  }

  void prompt() { std::cout << runner_->ctx.prompt() << std::flush; }

  void read_terminal() {
    asio::async_read_until(stdin_, terminal_input_, '\n',
                           [this](const boost::system::error_code& ec, size_t) {
                             if (ec) return;  // end of input: the device keeps running
                             std::istream in(&terminal_input_);
                             std::string line;
                             std::getline(in, line);
                             const LineOutput r = runner_->run(line, runner_->ctx.prompt().size());
                             std::cout << r.out;
                             std::cerr << r.err;
                             flush_ike();
                             if (r.running) return step_terminal();
                             if (!runner_->ctx.finished()) {
                               // A question (save) is answered by the next line.
                               if (!r.question.empty())
                                 std::cout << r.question << std::flush;
                               else
                                 prompt();
                               read_terminal();
                             }
                           });
  }

  // The terminal's command that goes on over time (ping), stepped as the socket's are.
  void step_terminal() {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    timer->async_wait([this, timer](const boost::system::error_code& ec) {
      if (ec) return;
      std::cout << runner_->step().out << std::flush;
      flush_ike();
      if (runner_->running()) return step_terminal();
      prompt();
      read_terminal();
    });
  }

  void open_cli_socket() {
    const std::string& path = options_.socket_path;
    const size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0700);
    ::unlink(path.c_str());  // a stale one: run() checked that no vfw answers on it
    boost::system::error_code ec;
    acceptor_.open(asio::local::stream_protocol(), ec);
    if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path), ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      log("VFW/4/CLI: cannot listen on " + path + ": " + ec.message());
      return;
    }
    ::chmod(path.c_str(), 0600);  // the device's CLI: its owner only
    log("VFW/6/CLI: CLI on " + path);
    accept();
  }

  void accept() {
    auto c = std::make_shared<CliConnection>(io_, device_);
    acceptor_.async_accept(c->socket, [this, c](const boost::system::error_code& ec) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        // A connection starts where a login does, in user view.
        c->runner.ctx.save_path = options_.save_path;
        serve(c);
        accept();
        return;
      }
      // Out of file descriptors (EMFILE, ENFILE) or another failure that would repeat at once:
      // wait before the next accept rather than spin a core, and say so (once a second at most).
      if (accept_log_.allow(device_.now_ms()))
        log("VFW/4/CLI: cannot accept a CLI connection: " + ec.message() +
            "; trying again in 100 ms" + accept_log_.unlogged_note());
      accept_pause_.expires_after(std::chrono::milliseconds(100));
      accept_pause_.async_wait([this](const boost::system::error_code& e) {
        if (!e) accept();
      });
    });
  }

  void serve(const std::shared_ptr<CliConnection>& c) {
    asio::async_read_until(c->socket, c->input, '\n',
                           [this, c](const boost::system::error_code& ec, size_t) {
                             if (ec) return;
                             std::istream in(&c->input);
                             std::string line;
                             std::getline(in, line);
                             if (line.size() > kMaxCommandLine + 1)
                               line.resize(kMaxCommandLine + 1);
                             const LineOutput r = c->runner.run(line, 0);
                             flush_ike();
                             respond(c, r, r.ok);
                           });
  }

  // The answer to a line: its output, then (once a command that goes on over time is over) the
  // end of the response, the status and the prompt.
  void respond(const std::shared_ptr<CliConnection>& c, const LineOutput& r, bool ok) {
    // The status: 0 done, 1 failed, ? the command asks and the next line answers.
    const char* status = !r.question.empty() ? "?" : ok ? "0" : "1";
    auto reply = std::make_shared<std::string>(r.out + r.err + r.question);
    if (!r.running) *reply += kEndOfResponse + std::string(status) + c->runner.ctx.prompt() + "\n";
    asio::async_write(
        c->socket, asio::buffer(*reply),
        [this, c, reply, running = r.running, ok](const boost::system::error_code& wec, size_t) {
          if (wec) return;
          if (running) return step_activity(c, ok);
          if (!c->runner.ctx.finished()) serve(c);
        });
  }

  // A command that goes on over time (ping) runs on, a step every few milliseconds, while the
  // loop goes on carrying packets (its probes' answers among them).
  void step_activity(const std::shared_ptr<CliConnection>& c, bool ok) {
    auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
    timer->async_wait([this, c, timer, ok](const boost::system::error_code& ec) {
      if (ec) return;
      const LineOutput s = c->runner.step();
      flush_ike();
      respond(c, s, ok);
    });
  }

  // SSH on the device's addresses this host holds, on interfaces not bound: with --bind, the
  // management interface left to the host (GigabitEthernet0/0/0, as the USG's MGMT port); without,
  // every interface whose address is here. Bound interfaces have no host stack to carry TCP.
  // An address the host does not hold yet (a VM's network still coming up, a container's
  // management link attached after the start, an address typed later) is tried again every few
  // seconds.
  void start_ssh() {
    if (options_.ssh_port == 0) return;
    manage::SshDeviceSide side;
    side.device = &device_;
    side.save_path = options_.save_path;
    side.admission = [this](Ipv4 client, uint16_t port, Ipv4 local, std::string& interface) {
      return ssh_admission(client, port, local, interface);
    };
    side.after_command = [this] { flush_ike(); };
    side.log = [this](const std::string& line) { log(line); };
    manage::SshServerOptions o;
    o.port = options_.ssh_port;
    o.host_key_path =
        options_.ssh_host_key.empty() ? default_ssh_host_key_path() : options_.ssh_host_key;
    ssh_key_path_ = o.host_key_path;
    ssh_ = std::make_unique<manage::SshServer>(io_, std::move(side), o);
    listen_ssh();
  }

  void listen_ssh() {
    if (!ssh_) return;
    for (const auto& [name, ifc] : device_.config().interfaces) {
      if (!ifc.address || ssh_interface_.count(ifc.address->host.v) != 0) continue;
      if (bound_.count(device_.snapshot().interface_index(name)) != 0) continue;
      if (!address_on_host(ifc.address->host)) continue;
      if (!ssh_key_loaded_) {
        if (Status loaded = ssh_->load_host_key(); !loaded) {
          log("SSH/3/HOSTKEY: " + loaded.error().message + "; no SSH");
          ssh_.reset();
          return;
        }
        ssh_key_loaded_ = true;
        log("SSH/6/HOSTKEY: host key " + ssh_key_path_ + ", " + ssh_->fingerprint());
      }
      const std::string at = to_string(ifc.address->host) + ":" +
                             std::to_string(options_.ssh_port) + " (" + name + ")";
      // The same address is not tried again, listening or not: a port another program holds
      // is logged once.
      ssh_interface_[ifc.address->host.v] = name;
      if (Status listening = ssh_->listen(ifc.address->host); !listening) {
        log("SSH/4/BIND: cannot listen on " + at + ": " + listening.error().message);
        continue;
      }
      log("SSH/6/BIND: SSH on " + at);
    }
    ssh_retry_.expires_after(std::chrono::seconds(5));
    ssh_retry_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) listen_ssh();
    });
  }

  // Whether this host holds the address (SSH can only listen where it does).
  static bool address_on_host(Ipv4 address) {
    asio::io_context io;
    tcp::socket probe(io);
    boost::system::error_code ec;
    probe.open(tcp::v4(), ec);
    if (!ec) probe.bind(tcp::endpoint(asio::ip::address_v4(address.v), 0), ec);
    return !ec;
  }

  // The device decides as for any packet to it: a SYN from the client arriving on the interface
  // that holds the address, through the pipeline (service-manage ssh, else the security policy
  // towards the local zone). Returns "" when SSH may answer, else the reason.
  std::string ssh_admission(Ipv4 client, uint16_t port, Ipv4 local, std::string& interface) {
    const auto it = ssh_interface_.find(local.v);
    if (it == ssh_interface_.end()) return "no interface holds " + to_string(local);
    interface = it->second;
    PacketSpec spec;
    spec.protocol = ipproto::kTcp;
    spec.src = client;
    spec.dst = local;
    spec.src_port = port;
    // The device's SSH is TCP 22 whatever port vfw listens on (--ssh-port serves unprivileged
    // runs): the policy is asked about SSH.
    spec.dst_port = 22;
    std::vector<uint8_t> syn = build_packet(spec);
    Trace trace;
    const Action a = device_.receive(syn, interface, &trace);
    if (a == Action::ToDevice) return "";
    for (const auto& step : trace.steps) {
      if (step.drop != DropReason::None)
        return std::string(drop_reason_id(step.drop)) +
               (step.info.empty() ? "" : ": " + step.info.back());
    }
    return std::string(drop_reason_id(trace.result.drop));
  }

  void wait_for_hangup() {
    hangups_.async_wait([this](const boost::system::error_code& ec, int) {
      if (ec) return;
      log("VFW/4/SIGNAL: SIGHUP: ignored, the device goes on (its terminal went away)");
      wait_for_hangup();
    });
  }

  void stop(int signal) {
    const char* name = signal == SIGTERM   ? "SIGTERM"
                       : signal == SIGINT  ? "SIGINT"
                       : signal == SIGUSR1 ? "SIGUSR1"
                                           : "SIGUSR2";
    log(std::string("VFW/6/STOP: ") + name + ": deleting the IKE SAs and stopping");
    device_.ike().delete_all(device_.now_ms());
    device_.ike_tick();
    flush_ike();
    if (!options_.socket_path.empty()) ::unlink(options_.socket_path.c_str());
    if (ssh_) ssh_->stop();
    ssh_retry_.cancel();
    hangups_.cancel();
    if (kernel_)
      log("VFW/6/KERNEL: table ip vfw stays in the kernel: it goes on enforcing the last "
          "configuration (nft delete table ip vfw to remove it)");
    io_.stop();
  }

  Device& device_;
  DaemonOptions options_;
  asio::io_context io_;
  asio::signal_set signals_;
  asio::signal_set hangups_;
  asio::steady_timer tick_;
  asio::posix::stream_descriptor stdin_;
  asio::streambuf terminal_input_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer accept_pause_;  // after a failed accept (EMFILE): a pause, not a spin
  RateLimitedLog accept_log_{1};
  RateLimitedLog packet_log_{10};  // the lines written per packet (ESP, egress) in socket mode
  std::vector<std::unique_ptr<Socket>> sockets_;
  std::unique_ptr<EthernetFrontEnd> frames_;
  std::map<uint16_t, Bound> bound_;
  std::unique_ptr<LinkMonitor> links_;
  std::unique_ptr<asio::posix::stream_descriptor> links_descriptor_;
  std::unique_ptr<udp::socket> log_host_;
  udp::endpoint log_host_at_;
  std::map<uint32_t, std::string> interface_of_;
  std::map<uint32_t, std::string> ssh_interface_;  // address -> the interface SSH listens on
  std::unique_ptr<LineRunner> runner_;
  std::unique_ptr<KernelDataplane> kernel_;
  uint64_t kernel_generation_ = 0;  // the configuration the kernel holds
  std::unique_ptr<manage::SshServer> ssh_;
  asio::steady_timer ssh_retry_{io_};
  std::string ssh_key_path_;
  bool ssh_key_loaded_ = false;
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

std::string default_socket_path() {
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime != nullptr && *runtime != 0)
    return std::string(runtime) + "/vfw.sock";
  return "/tmp/vfw-" + std::to_string(::getuid()) + "/vfw.sock";
}

int connect_cli(const std::string& socket_path, const std::vector<std::string>& commands) {
  asio::io_context io;
  UnixSocket socket(io);
  boost::system::error_code ec;
  socket.connect(asio::local::stream_protocol::endpoint(socket_path), ec);
  if (ec) {
    std::cerr << "vfw: cannot connect to " << socket_path << ": " << ec.message()
              << " (is vfw run going?)\n";
    return 1;
  }
  asio::streambuf input;
  bool all_ok = true;
  bool asked = false;  // the last command asks a question: the next line answers it
  auto ask = [&](const std::string& line) {
    if (asked) std::cout << line << "\n";  // the answer, shown after the question as typed
    const std::string out = line + "\n";
    asio::write(socket, asio::buffer(out), ec);
    if (ec) return false;
    asio::read_until(socket, input, std::string(1, kEndOfResponse), ec);
    if (ec) return false;
    std::istream in(&input);
    std::string text;
    std::getline(in, text, kEndOfResponse);
    std::string status;
    std::getline(in, status);  // "0<prompt>" or "1<prompt>"
    std::cout << text << std::flush;
    asked = !status.empty() && status[0] == '?';
    if (!status.empty() && status[0] == '1') all_ok = false;
    return true;
  };
  if (!commands.empty()) {
    for (const auto& c : commands) {
      if (!ask(c)) break;
    }
  } else {
    for (std::string line; std::getline(std::cin, line);) {
      if (!ask(line)) break;
    }
  }
  if (asked) {
    std::cout << "\n";
    std::cerr
        << "vfw: the question was not answered (the next line answers it); nothing was done\n";
    all_ok = false;
  }
  return all_ok ? 0 : 1;
}

}  // namespace vfw
