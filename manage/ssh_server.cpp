#include "manage/ssh_server.hpp"

#include <fcntl.h>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <libssh/server.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio.hpp>
#include <chrono>
#include <ctime>
#include <functional>
#include <future>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "cli/command_engine.hpp"
#include "cli/line_runner.hpp"
#include "config/aaa.hpp"
#include "config/secret.hpp"
#include "device/rate_limited_log.hpp"
#include "manage/vty_line.hpp"

namespace vfw::manage {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// How often a session thread waiting for its client looks whether the server is stopping.
constexpr int kPollMilliseconds = 200;
constexpr const char* kVpn = "_public_";

std::string login_fields(const std::string& user, Ipv4 client) {
  return "UserName=" + user + ", IPAddress=" + to_string(client) + ", VPNInstanceName=" + kVpn;
}

// The device's terminal uses CR LF; the CLI's output has LF alone.
std::string to_crlf(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 16);
  for (const char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string local_time_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
  return text;
}

// Writes the key in OpenSSH's format through a temporary file renamed over the path: a crash
// leaves no half key, and the key is never readable by others, not even for a moment.
Status write_host_key(ssh_key key, const std::string& path) {
  // The folders are made for the key, ~/.config/vfw on a fresh account (~/.config too).
  config::make_folders_for(path);
  const std::string tmp = path + ".tmp";
  const mode_t old = ::umask(077);
  ::unlink(tmp.c_str());
  const int rc = ssh_pki_export_privkey_file(key, nullptr, nullptr, nullptr, tmp.c_str());
  ::umask(old);
  if (rc != SSH_OK) return fail("cannot write the SSH host key " + tmp);
  const int fd = ::open(tmp.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return fail("cannot write the SSH host key " + path);
  }
  return {};
}

}  // namespace

// One client's connection: the thread that speaks SSH with it.
class Session {
 public:
  Session(ssh_session s, Ipv4 client) : ssh_(s), client_(client) {}
  ~Session() {
    if (thread_.joinable()) thread_.join();
    ssh_free(ssh_);  // frees the channel too (ssh_disconnect may already have)
    if (watch_fd >= 0) ::close(watch_fd);
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  ssh_session ssh_;
  ssh_channel channel_ = nullptr;
  Ipv4 client_;
  std::thread thread_;
  std::atomic<bool> done{false};
  int rows = 24;
  std::string input;  // received, not yet taken by the line discipline (typed ahead)
  std::string user;   // who logged in; set by the session's thread, read after it ends
  bool in_shell = false;
  // Set on the device thread when the login succeeds and a VTY is free: from then on the
  // session counts against the VTY users, before it against the connections still unproven.
  bool logged_in = false;
  // The deadlines of a connection not yet logged in (the device thread's watchdog shuts its
  // socket down when one passes: libssh itself waits for a silent client for ever).
  Clock::time_point accepted_at = Clock::now();
  std::atomic<bool> key_exchange_done{false};
  std::atomic<bool> timed_out{false};
  // A descriptor of the connection's own, for the device thread: shutting it down wakes the
  // session thread's libssh call, and its number is never one libssh closed and another socket
  // reused (libssh closes its descriptor itself, on its thread).
  int watch_fd = -1;
  void shut_down() const {
    if (watch_fd >= 0) ::shutdown(watch_fd, SHUT_RDWR);
  }
};

struct SshServer::Impl {
  Impl(asio::io_context& context, SshDeviceSide device_side, SshServerOptions server_options)
      : io(context),
        side(std::move(device_side)),
        options(std::move(server_options)),
        guard(options.guard) {}

  asio::io_context& io;
  SshDeviceSide side;
  SshServerOptions options;
  LoginGuard guard;  // device thread only
  ssh_bind bind = nullptr;
  std::string fingerprint;
  std::list<tcp::acceptor> acceptors;
  std::list<std::unique_ptr<Session>> sessions;  // device thread only
  std::atomic<bool> stopping{false};
  std::minstd_rand early_drop{std::random_device{}()};  // device thread only
  RateLimitedLog refusal_log;                           // device thread only
  RateLimitedLog accept_log{1};                         // device thread only
  asio::steady_timer accept_pause{io};                  // after a failed accept
  asio::steady_timer watchdog{io};                      // the unproven connections' deadlines
  std::vector<tcp::acceptor*> paused;                   // the acceptors it resumes

  // Runs f on the device's thread and waits for its result; nullopt when the server stops
  // first. A posted call runs only while the server is not stopping, so a session thread that
  // stopped waiting (its stack gone) is never touched by it afterwards.
  template <typename F>
  auto on_device(F f) -> std::optional<decltype(f())> {
    using R = decltype(f());
    auto promise = std::make_shared<std::promise<R>>();
    auto result = promise->get_future();
    asio::post(io, [this, promise, f = std::move(f)]() mutable {
      if (stopping) return;  // the session thread no longer waits: touch nothing of it
      promise->set_value(f());
    });
    while (result.wait_for(std::chrono::milliseconds(kPollMilliseconds)) !=
           std::future_status::ready) {
      if (stopping) return std::nullopt;
    }
    return result.get();
  }

  void log(const std::string& line) {
    if (side.log) side.log(line);
  }

  // A session thread's record, written by the device's thread like every other.
  void log_from_session(const std::string& line) {
    asio::post(io, [this, line] {
      if (!stopping) log(line);
    });
  }

  void log_logout(const std::string& user, Ipv4 client, const std::string& reason) {
    log("SSH/5/SSH_USER_LOGOUT: The SSH user logged out. (ServiceType=stelnet, LogOutReason=" +
        reason + ", " + login_fields(user, client) + ")");
  }

  void accept(tcp::acceptor& acceptor) {
    acceptor.async_accept([this, &acceptor](const boost::system::error_code& ec, tcp::socket s) {
      if (ec == asio::error::operation_aborted || stopping) return;
      if (!ec) {
        admit(std::move(s));
        accept(acceptor);
        return;
      }
      // Out of file descriptors (EMFILE, ENFILE) or another failure that would repeat at once:
      // a pause before the next accept, not a spinning core; said once a second at most.
      if (accept_log.allow(side.device->now_ms()))
        log("SSH/4/ACCEPT: cannot accept an SSH connection: " + ec.message() +
            "; trying again in 100 ms" + accept_log.unlogged_note());
      paused.push_back(&acceptor);
      if (paused.size() > 1) return;  // the pause is already running
      accept_pause.expires_after(std::chrono::milliseconds(100));
      accept_pause.async_wait([this](const boost::system::error_code& e) {
        if (e || stopping) return;  // cancelled: the server may be gone, touch nothing
        for (tcp::acceptor* a : std::exchange(paused, {})) accept(*a);
      });
    });
  }

  // Once a second on the device thread: a connection still in its key exchange after
  // key_exchange_seconds, or not logged in after the login timeout, has its socket shut down,
  // which ends libssh's wait in its thread.
  void watch() {
    watchdog.expires_after(std::chrono::seconds(1));
    watchdog.async_wait([this](const boost::system::error_code& e) {
      if (e || stopping) return;  // cancelled: the server may be gone, touch nothing
      const auto now = Clock::now();
      for (const auto& s : sessions) {
        if (s->done || s->logged_in || s->timed_out) continue;
        const auto age = now - s->accepted_at;
        if ((!s->key_exchange_done && age > std::chrono::seconds(options.key_exchange_seconds)) ||
            age > std::chrono::seconds(options.login_timeout_seconds)) {
          s->timed_out = true;
          s->shut_down();
        }
      }
      reap();
      watch();
    });
  }

  void reap() {
    for (auto it = sessions.begin(); it != sessions.end();) {
      if ((*it)->done) {
        it = sessions.erase(it);  // joins the finished thread
      } else {
        ++it;
      }
    }
  }

  // On the device thread: the interface of arrival, the lock-out, the VTY count; then a thread.
  void admit(tcp::socket socket) {
    reap();
    boost::system::error_code ec;
    const auto remote = socket.remote_endpoint(ec);
    const auto local = socket.local_endpoint(ec);
    if (ec) return;
    const Ipv4 client{remote.address().to_v4().to_uint()};
    const Ipv4 at{local.address().to_v4().to_uint()};
    std::string interface;
    const std::string refused =
        side.admission ? side.admission(client, remote.port(), at, interface) : std::string();
    if (!refused.empty()) {
      log("SSH/4/SSH_CONNECT_DENY: The SSH connection was refused. (IPAddress=" +
          to_string(client) + ", Interface=" + interface + ", Reason=" + refused + ")");
      return;  // closing the socket refuses it
    }
    if (guard.locked(client, side.device->now_ms())) {
      if (guard.first_refusal(client))
        log("SSH/4/SSH_CONNECT_DENY: The SSH connection was refused. (IPAddress=" +
            to_string(client) + ", Interface=" + interface +
            ", Reason=the address is locked after failed logins)");
      return;
    }
    // Connections not yet logged in are bounded apart from the VTYs (OpenSSH's MaxStartups
    // model): a few per source, and in total a band where newcomers are refused at random, more
    // often the fuller it is, up to a hard ceiling. Silent connections cannot hold the VTYs, and
    // the administrator's next attempt gets through with some chance even under a spread flood.
    size_t unproven = 0;
    size_t from_client = 0;
    for (const auto& other : sessions) {
      if (other->done || other->logged_in) continue;
      ++unproven;
      if (other->client_ == client) ++from_client;
    }
    std::string why;
    if (from_client >= options.preauth_per_source) {
      why = "the address has " + std::to_string(from_client) + " connections not yet logged in";
    } else if (unproven >= options.preauth_full) {
      why = "too many connections are not yet logged in";
    } else if (unproven >= options.preauth_start) {
      // Refused with probability 30% at the start of the band, rising linearly to 100% at full.
      const double span = static_cast<double>(options.preauth_full - options.preauth_start);
      const double p = 0.3 + 0.7 * static_cast<double>(unproven - options.preauth_start) / span;
      if (std::uniform_real_distribution<double>(0, 1)(early_drop) < p)
        why = "too many connections are not yet logged in (" + std::to_string(unproven) + ")";
    }
    if (!why.empty()) {
      if (refusal_log.allow(side.device->now_ms()))
        log("SSH/4/SSH_CONNECT_DENY: The SSH connection was refused. (IPAddress=" +
            to_string(client) + ", Interface=" + interface + ", Reason=" + why + ")" +
            refusal_log.unlogged_note());
      return;
    }
    ssh_session s = ssh_new();
    if (s == nullptr) return;
    const int fd = socket.release(ec);
    if (ec || ssh_bind_accept_fd(bind, s, fd) != SSH_OK) {
      if (!ec) ::close(fd);
      ssh_free(s);
      return;
    }
    auto session = std::make_unique<Session>(s, client);
    session->watch_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    Session* raw = session.get();
    sessions.push_back(std::move(session));
    raw->thread_ = std::thread([this, raw] {
      serve(*raw);
      raw->done = true;
    });
  }

  // ---- the session thread ----

  struct Cli {
    std::unique_ptr<LineRunner> runner;  // made, used and destroyed on the device thread
  };

  void serve(Session& s) {
    // The key exchange has a short deadline of its own: a client that says nothing is gone in
    // seconds, not at the login timeout.
    long timeout = std::min<long>(options.key_exchange_seconds, options.login_timeout_seconds);
    ssh_options_set(s.ssh_, SSH_OPTIONS_TIMEOUT, &timeout);
    Login login;
    login.server = this;
    login.session = &s;
    login.callbacks.userdata = &login;
    login.callbacks.auth_password_function = on_password;
    login.callbacks.channel_open_request_session_function = on_channel_open;
    ssh_callbacks_init(&login.callbacks);
    ssh_set_server_callbacks(s.ssh_, &login.callbacks);
    ssh_set_auth_methods(s.ssh_, SSH_AUTH_METHOD_PASSWORD);
    if (ssh_handle_key_exchange(s.ssh_) != SSH_OK) {
      // libssh's own timeout says nothing; the watchdog's is the same deadline.
      const std::string why = ssh_get_error(s.ssh_);
      log_from_session(
          "SSH/6/SSH_KEX_FAIL: Key exchange with " + to_string(s.client_) + " failed: " +
          (s.timed_out || why.empty()
               ? "not finished within " + std::to_string(options.key_exchange_seconds) + " s"
               : why));
      close(s);
      return;
    }
    s.key_exchange_done = true;
    timeout = options.login_timeout_seconds;
    ssh_options_set(s.ssh_, SSH_OPTIONS_TIMEOUT, &timeout);
    const auto user = log_in(s, login);
    if (user) {
      s.user = *user;
      s.in_shell = true;
      shell(s, *user);
      s.in_shell = stopping;  // still in it when the server stopped it
    } else if (login.user && !stopping) {
      // Logged in, then gone before a shell: the login has its logout.
      const std::string who = *login.user;
      const Ipv4 client = s.client_;
      asio::post(io, [this, who, client] {
        if (!stopping) log_logout(who, client, "The connection was closed");
      });
    }
    close(s);
  }

  // The connection closed now, not when the device thread reaps the session.
  static void close(Session& s) { ssh_disconnect(s.ssh_); }

  // What a login attempt meets: in; refused (another try allowed, up to the retries); refused with
  // the address locked out (by this attempt or before); refused for want of a VTY.
  enum class LoginVerdict : uint8_t { Allowed, Refused, Locked, Full };

  // On the device thread. Every refusal is logged with its reason; the client only hears that
  // authentication failed.
  LoginVerdict check_login(const std::string& name, const std::string& password, Ipv4 client) {
    const uint64_t now = side.device->now_ms();
    std::string reason;
    if (guard.locked(client, now)) {
      reason = "The IP address is locked";
    } else {
      const auto users = config::manager_users(side.device->config());
      const auto it = std::find_if(users.begin(), users.end(),
                                   [&](const config::ManagerUser& u) { return u.name == name; });
      if (it == users.end()) {
        reason = "The user does not exist";
      } else {
        switch (config::check_password(*it, password)) {
          case config::PasswordCheck::Match:
            if (!it->allows("ssh")) reason = "The service type of the user is not ssh";
            break;
          case config::PasswordCheck::Mismatch:
            reason = "The password is wrong";
            break;
          case config::PasswordCheck::NotSet:
            reason = "The user has no password";
            break;
          case config::PasswordCheck::Unreadable:
            reason =
                "The password is in a cipher vfw cannot read (set it again with password cipher)";
            break;
        }
      }
    }
    const std::string fields = login_fields(name, client);
    if (reason.empty()) {
      guard.succeeded(client);
      log("SSH/5/SSH_USER_LOGIN: The SSH user succeeded in logging in. (ServiceType=stelnet, " +
          fields + ")");
      return LoginVerdict::Allowed;
    }
    log("SSH/5/SSH_USER_LOGIN_FAIL: The SSH user failed to login. (ServiceType=stelnet, "
        "FailedReason=" +
        reason + ", " + fields + ")");
    if (guard.locked(client, now)) return LoginVerdict::Locked;
    if (guard.failed(client, now)) {
      log("SSH/4/IP_LOCKED: IP was locked. (IpAddress=" + to_string(client) + ", VpnName=" + kVpn +
          ", Period=" + std::to_string(guard.limits().lock_ms / 60000) + " minutes)");
      return LoginVerdict::Locked;
    }
    return LoginVerdict::Refused;
  }

  // ---- libssh's server callbacks, on the session thread, during ssh_event_dopoll ----

  struct Login {
    Impl* server = nullptr;
    Session* session = nullptr;
    ssh_server_callbacks_struct callbacks{};
    ssh_channel_callbacks_struct channel_callbacks{};
    std::optional<std::string> user;  // who logged in
    int failures = 0;
    bool give_up = false;  // retries spent, the address locked, or the server stopping
    bool shell = false;
  };

  static int on_password(ssh_session, const char* name, const char* password, void* data) {
    auto* login = static_cast<Login*>(data);
    Impl* server = login->server;
    const std::string user = name != nullptr ? name : "";
    const std::string typed = password != nullptr ? password : "";
    const Ipv4 client = login->session->client_;
    Session* session = login->session;
    const auto verdict = server->on_device([server, user, typed, client, session] {
      // A VTY for the user first, or none: only logged-in users count against the VTY limit,
      // and a login refused for want of one is not logged as a success.
      size_t users = 0;
      for (const auto& other : server->sessions) users += other->done || !other->logged_in ? 0 : 1;
      if (users >= server->options.max_sessions) {
        server->log("SSH/4/SSH_CONNECT_DENY: The SSH connection was refused. (IPAddress=" +
                    to_string(client) +
                    ", Reason=the number of VTY users has reached the upper limit)");
        return LoginVerdict::Full;
      }
      const LoginVerdict v = server->check_login(user, typed, client);
      if (v == LoginVerdict::Allowed) session->logged_in = true;
      return v;
    });
    if (verdict == LoginVerdict::Allowed) {
      login->user = user;
      return SSH_AUTH_SUCCESS;
    }
    // The device ends the connection after its retries, or at once when the address is locked.
    if (!verdict || *verdict != LoginVerdict::Refused ||
        ++login->failures >= server->options.auth_retries)
      login->give_up = true;
    return SSH_AUTH_DENIED;
  }

  // One session channel, with a pty or without, and a shell: the device's VTY is an interactive
  // CLI, so exec and subsystems are refused (libssh refuses what has no callback).
  static ssh_channel on_channel_open(ssh_session ssh, void* data) {
    auto* login = static_cast<Login*>(data);
    Session& s = *login->session;
    if (s.channel_ != nullptr || !login->user) return nullptr;
    s.channel_ = ssh_channel_new(ssh);
    if (s.channel_ == nullptr) return nullptr;
    auto& cb = login->channel_callbacks;
    cb.userdata = login;
    cb.channel_pty_request_function = [](ssh_session, ssh_channel, const char*, int, int rows, int,
                                         int, void* d) -> int {
      if (rows > 0) static_cast<Login*>(d)->session->rows = rows;
      return SSH_OK;
    };
    cb.channel_pty_window_change_function = [](ssh_session, ssh_channel, int, int rows, int, int,
                                               void* d) -> int {
      if (rows > 0) static_cast<Login*>(d)->session->rows = rows;
      return SSH_OK;
    };
    cb.channel_shell_request_function = [](ssh_session, ssh_channel, void* d) -> int {
      static_cast<Login*>(d)->shell = true;
      return SSH_OK;
    };
    ssh_callbacks_init(&cb);
    ssh_set_channel_callbacks(s.channel_, &cb);
    return s.channel_;
  }

  // Authentication, then the channel and its shell, within the login timeout. The user who
  // logged in, or nullopt.
  std::optional<std::string> log_in(Session& s, Login& login) {
    ssh_event event = ssh_event_new();
    if (event == nullptr) return std::nullopt;
    ssh_event_add_session(event, s.ssh_);
    const auto deadline = Clock::now() + std::chrono::seconds(options.login_timeout_seconds);
    while (!stopping && !login.give_up && !login.shell && Clock::now() < deadline) {
      if (ssh_event_dopoll(event, kPollMilliseconds) == SSH_ERROR) break;
      if ((ssh_get_status(s.ssh_) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0) break;
    }
    ssh_event_remove_session(event, s.ssh_);
    ssh_event_free(event);
    if (!login.shell || stopping) return std::nullopt;
    return login.user;
  }

  bool write(Session& s, std::string_view text) {
    size_t done = 0;
    while (done < text.size()) {
      const int n = ssh_channel_write(s.channel_, text.data() + done,
                                      static_cast<uint32_t>(text.size() - done));
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // One key from the client (a question's answer, the pager's); nullopt when the client left or
  // the server stops.
  std::optional<uint8_t> read_key(Session& s) {
    if (!s.input.empty()) {
      const auto key = static_cast<uint8_t>(s.input.front());
      s.input.erase(0, 1);
      return key;
    }
    while (!stopping) {
      uint8_t key = 0;
      const int n = ssh_channel_read_timeout(s.channel_, &key, 1, 0, kPollMilliseconds);
      if (n == SSH_ERROR || ssh_channel_is_eof(s.channel_) || !ssh_channel_is_open(s.channel_))
        return std::nullopt;
      if (n == 1) return key;
    }
    return std::nullopt;
  }

  // The output of a command, a screen at a time unless `screen-length 0`, as the device pages.
  bool page(Session& s, const std::string& text, int screen_length) {
    const int height = screen_length > 0 ? screen_length : std::max(s.rows - 1, 1);
    if (screen_length == 0) return write(s, to_crlf(text));
    size_t pos = 0;
    int budget = height;
    while (pos < text.size()) {
      const size_t end = std::min(text.find('\n', pos), text.size() - 1) + 1;
      if (budget == 0) {
        constexpr std::string_view kMore = "  ---- More ----";
        if (!write(s, kMore)) return false;
        const auto key = read_key(s);
        if (!write(s, "\r" + std::string(kMore.size(), ' ') + "\r")) return false;
        if (!key) return false;
        if (*key == ' ') {
          budget = height;
        } else if (*key == '\r' || *key == '\n') {
          budget = 1;
        } else {
          return true;  // q, Ctrl+C, anything else: the rest is not shown
        }
      }
      if (!write(s, to_crlf(std::string_view(text).substr(pos, end - pos)))) return false;
      pos = end;
      --budget;
    }
    return true;
  }

  struct Ran {
    LineOutput output;
    std::string prompt;
    bool finished = false;
    int screen_length = -1;
  };

  // Runs what the session does on the device thread (a line, a question's answer, a step of a
  // command that goes on over time, its Ctrl+C) and reads the session's state after it.
  std::optional<Ran> on_runner(Cli& cli, const std::function<LineOutput(LineRunner&)>& what) {
    return on_device([this, &cli, what] {
      Ran ran;
      LineRunner& r = *cli.runner;
      ran.output = what(r);
      if (side.after_command) side.after_command();
      ran.prompt = r.ctx.prompt();
      ran.finished = r.ctx.finished();
      ran.screen_length = r.ctx.screen_length;
      return ran;
    });
  }
  std::optional<Ran> run_line(Cli& cli, const std::string& line, std::optional<bool> answer) {
    return on_runner(cli, [&](LineRunner& r) {
      return answer ? r.answer(*answer) : r.run(line, r.ctx.prompt().size());
    });
  }
  std::optional<Ran> step_line(Cli& cli) {
    return on_runner(cli, [](LineRunner& r) { return r.step(); });
  }
  std::optional<Ran> cancel_line(Cli& cli) {
    return on_runner(cli, [](LineRunner& r) { return r.cancel(); });
  }

  void shell(Session& s, const std::string& user) {
    Cli cli;
    struct Start {
      std::string prompt;
      size_t users = 0;
    };
    const auto start = on_device([this, &cli] {
      cli.runner = std::make_unique<LineRunner>(*side.device);
      // `save` writes where the daemon's configuration came from.
      cli.runner->ctx.save_path = side.save_path;
      size_t users = 0;
      for (const auto& other : sessions) users += other->done || !other->logged_in ? 0 : 1;
      return Start{cli.runner->ctx.prompt(), users};
    });
    if (!start) return;
    std::string prompt = start->prompt;
    const size_t count = start->users;
    const std::string banner =
        "\r\nInfo: The max number of VTY users is " + std::to_string(options.max_sessions) +
        ", and the number\r\n      of current VTY users on line is " + std::to_string(count) +
        ".\r\n      The current login time is " + local_time_now() + ".\r\n";
    std::string logout_reason = "User logout";
    if (write(s, banner + prompt)) {
      VtyLine vty(kMaxCommandLine + 1);
      auto last_input = Clock::now();
      bool open = true;
      while (open && !stopping) {
        uint8_t buffer[1024];
        const int n =
            ssh_channel_read_timeout(s.channel_, buffer, sizeof buffer, 0, kPollMilliseconds);
        if (n == SSH_ERROR || ssh_channel_is_eof(s.channel_) || !ssh_channel_is_open(s.channel_)) {
          logout_reason = "The connection was closed";
          break;
        }
        if (n == 0) {
          if (Clock::now() - last_input > std::chrono::seconds(options.idle_timeout_seconds)) {
            write(s, "\r\n");
            logout_reason = "Idle timeout";
            break;
          }
          continue;
        }
        last_input = Clock::now();
        s.input.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(n));
        while (open && !s.input.empty()) {
          std::string echo;
          std::optional<VtyEvent> event;
          const size_t taken = vty.feed(
              {reinterpret_cast<const uint8_t*>(s.input.data()), s.input.size()}, echo, event);
          s.input.erase(0, taken);
          if (!echo.empty() && !write(s, echo)) open = false;
          if (open && event) open = handle(s, cli, vty, *event, prompt);
        }
      }
    }
    const Ipv4 client = s.client_;
    // The runner is the device thread's to destroy, with the logout record. When the server
    // stops, the device's loop runs no more: stop() logs the logout instead.
    auto runner = std::make_shared<std::unique_ptr<LineRunner>>(std::move(cli.runner));
    const bool by_stop = stopping;
    asio::post(io, [this, runner, user, client, logout_reason, by_stop] {
      runner->reset();
      if (!by_stop) log_logout(user, client, logout_reason);
    });
  }

  // Tab, as on the terminal: one choice completes the word, several their common beginning, or
  // are listed under the line, which is then drawn again.
  bool complete(Session& s, Cli& cli, VtyLine& vty, const std::string& typed,
                const std::string& prompt) {
    const auto choices = on_device(
        [&cli, typed] { return cli::command_engine().completions(cli.runner->ctx, typed); });
    if (!choices) return false;
    if (choices->empty()) return write(s, "\a");
    const size_t start =
        typed.find_last_of(' ') == std::string::npos ? 0 : typed.find_last_of(' ') + 1;
    std::string common = choices->front();
    for (const auto& c : *choices) {
      size_t n = 0;
      while (n < common.size() && n < c.size() && common[n] == c[n]) ++n;
      common.resize(n);
    }
    std::string echo;
    if (choices->size() == 1) {
      vty.replace_typed(typed.substr(0, start) + choices->front() + " ", echo);
      return write(s, echo);
    }
    if (common.size() > typed.size() - start) {
      vty.replace_typed(typed.substr(0, start) + common, echo);
      return write(s, echo);
    }
    std::string list = "\r\n";
    for (const auto& c : *choices) list += "  " + c + "\r\n";
    return write(s, list + prompt + vty.typed());
  }

  // One event of the line discipline; false when the session ends.
  bool handle(Session& s, Cli& cli, VtyLine& vty, const VtyEvent& e, std::string& prompt) {
    using Kind = VtyEvent::Kind;
    if (e.kind == Kind::Cancel) return write(s, prompt);
    if (e.kind == Kind::Complete) return complete(s, cli, vty, e.text, prompt);
    std::string line = e.text;
    if (e.kind == Kind::ToUserView) line = "return";
    auto ran = run_line(cli, line, std::nullopt);
    if (!ran) return false;
    if (!ran->output.question.empty()) {
      // Up to the question, the question, the key; then the command goes on with the answer.
      if (!write(s, to_crlf(ran->output.out + ran->output.err) + ran->output.question))
        return false;
      const auto key = read_key(s);
      if (!key) return false;
      const bool yes = *key == 'y' || *key == 'Y';
      if (!write(s, std::string(1, static_cast<char>(yes ? *key : 'N')) + "\r\n")) return false;
      ran = run_line(cli, line, yes);
      if (!ran) return false;
    }
    if (e.kind == Kind::Help) {
      // The help, then the prompt and what was typed, still typed.
      if (!write(s, "\r\n") || !page(s, ran->output.out + ran->output.err, 0)) return false;
      prompt = ran->prompt;
      return write(s, prompt + vty.typed());
    }
    // A command that goes on over time (ping): its lines as they come, a step every few
    // milliseconds, the device's loop free in between to carry its probes and their answers.
    while (ran->output.running) {
      if (!write(s, to_crlf(ran->output.out + ran->output.err))) return false;
      uint8_t key = 0;
      const int n = ssh_channel_read_timeout(s.channel_, &key, 1, 0, 5);
      if (n == SSH_ERROR) return false;
      ran = n == 1 && key == 3 ? cancel_line(cli) : step_line(cli);  // Ctrl+C ends it
      if (!ran) return false;
    }
    if (!page(s, ran->output.out, ran->screen_length)) return false;
    if (!write(s, to_crlf(ran->output.err))) return false;
    if (ran->finished) return false;
    prompt = ran->prompt;
    return write(s, prompt);
  }
};

SshServer::SshServer(asio::io_context& io, SshDeviceSide side, SshServerOptions options)
    : impl_(std::make_unique<Impl>(io, std::move(side), std::move(options))) {
  ssh_init();
}

SshServer::~SshServer() {
  stop();
  if (impl_->bind != nullptr) ssh_bind_free(impl_->bind);
  ssh_finalize();
}

Status SshServer::load_host_key() {
  const std::string& path = impl_->options.host_key_path;
  ssh_key key = nullptr;
  if (::access(path.c_str(), F_OK) == 0) {
    if (ssh_pki_import_privkey_file(path.c_str(), nullptr, nullptr, nullptr, &key) != SSH_OK)
      return fail("cannot read the SSH host key " + path);
  } else {
    if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK)
      return fail("cannot make an SSH host key");
    if (Status written = write_host_key(key, path); !written) {
      ssh_key_free(key);
      return written;
    }
    impl_->log("SSH/6/HOSTKEY: made the SSH host key " + path);
  }
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) == 0) {
    char* text = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length);
    if (text != nullptr) impl_->fingerprint = text;
    ssh_string_free_char(text);
    ssh_clean_pubkey_hash(&hash);
  }
  impl_->bind = ssh_bind_new();
  bool no = false;
  ssh_bind_options_set(impl_->bind, SSH_BIND_OPTIONS_PROCESS_CONFIG, &no);
  // The bind owns the key from here.
  if (ssh_bind_options_set(impl_->bind, SSH_BIND_OPTIONS_IMPORT_KEY, key) != SSH_OK) {
    ssh_key_free(key);
    return fail("cannot use the SSH host key " + path);
  }
  return {};
}

std::string SshServer::fingerprint() const {
  return impl_->fingerprint;
}

Status SshServer::listen(Ipv4 address) {
  auto& acceptor = impl_->acceptors.emplace_back(impl_->io);
  boost::system::error_code ec;
  const tcp::endpoint at(asio::ip::address_v4(address.v), impl_->options.port);
  acceptor.open(tcp::v4(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.bind(at, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    impl_->acceptors.pop_back();
    return fail(ec.message());
  }
  impl_->accept(acceptor);
  if (impl_->acceptors.size() == 1) impl_->watch();
  return {};
}

void SshServer::stop() {
  if (impl_->stopping.exchange(true)) return;
  impl_->accept_pause.cancel();
  impl_->watchdog.cancel();
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    a.close(ec);
  }
  // A thread blocked in libssh (key exchange, a write to a client that does not read) wakes up
  // when its socket is shut down.
  for (auto& s : impl_->sessions) s->shut_down();
  for (auto& s : impl_->sessions) {
    if (s->thread_.joinable()) s->thread_.join();
    if (s->in_shell) impl_->log_logout(s->user, s->client_, "The device stops");
  }
  impl_->sessions.clear();
}

size_t SshServer::sessions() const {
  size_t n = 0;
  for (const auto& s : impl_->sessions) n += s->done ? 0 : 1;
  return n;
}

}  // namespace vfw::manage
