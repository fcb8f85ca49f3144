#include "app/run/cli_socket.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <iostream>

#include "cli/command_tree.hpp"

namespace vfw {

namespace asio = boost::asio;
using UnixSocket = asio::local::stream_protocol::socket;

namespace {
// Separates a response from the next on the local socket: the client strips it.
constexpr char kEndOfResponse = '\x1e';
}  // namespace

struct CliListener::Connection {
  UnixSocket socket;
  // A line is at most the device's 510 characters: a longer one without its newline fills the
  // buffer, the read fails and the connection closes, whatever was sent (no unbounded memory).
  asio::streambuf input{kMaxCommandLine + 2};
  LineRunner runner;
  Connection(asio::io_context& io, Device& d) : socket(io), runner(d) {}
};

CliListener::CliListener(asio::io_context& io, Device& device, DaemonLog& log,
                         std::function<void()> pump, std::string save_path)
    : io_(io),
      device_(device),
      log_(log),
      pump_(std::move(pump)),
      save_path_(std::move(save_path)),
      acceptor_(io),
      accept_pause_(io) {}

void CliListener::listen(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0) ::mkdir(path.substr(0, slash).c_str(), 0700);
  ::unlink(path.c_str());  // a stale one: the daemon checked that no vfw answers on it
  boost::system::error_code ec;
  acceptor_.open(asio::local::stream_protocol(), ec);
  if (!ec) acceptor_.bind(asio::local::stream_protocol::endpoint(path), ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    log_.line("VFW/4/CLI: cannot listen on " + path + ": " + ec.message());
    return;
  }
  ::chmod(path.c_str(), 0600);  // the device's CLI: its owner only
  log_.line("VFW/6/CLI: CLI on " + path);
  accept();
}

void CliListener::accept() {
  auto c = std::make_shared<Connection>(io_, device_);
  acceptor_.async_accept(c->socket, [this, c](const boost::system::error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      // A connection starts where a login does, in user view.
      c->runner.ctx.save_path = save_path_;
      serve(c);
      accept();
      return;
    }
    // Out of file descriptors (EMFILE, ENFILE) or another failure that would repeat at once:
    // wait before the next accept rather than spin a core, and say so (once a second at most).
    if (accept_log_.allow(device_.now_ms()))
      log_.line("VFW/4/CLI: cannot accept a CLI connection: " + ec.message() +
                "; trying again in 100 ms" + accept_log_.unlogged_note());
    accept_pause_.expires_after(std::chrono::milliseconds(100));
    accept_pause_.async_wait([this](const boost::system::error_code& e) {
      if (!e) accept();
    });
  });
}

void CliListener::serve(const std::shared_ptr<Connection>& c) {
  asio::async_read_until(c->socket, c->input, '\n',
                         [this, c](const boost::system::error_code& ec, size_t) {
                           if (ec) return;
                           std::istream in(&c->input);
                           std::string line;
                           std::getline(in, line);
                           if (line.size() > kMaxCommandLine + 1) line.resize(kMaxCommandLine + 1);
                           const LineOutput r = c->runner.run(line, 0);
                           pump_();
                           respond(c, r, r.ok);
                         });
}

// The answer to a line: its output, then (once a command that goes on over time is over) the
// end of the response, the status and the prompt.
void CliListener::respond(const std::shared_ptr<Connection>& c, const LineOutput& r, bool ok) {
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
void CliListener::step_activity(const std::shared_ptr<Connection>& c, bool ok) {
  auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(5));
  timer->async_wait([this, c, timer, ok](const boost::system::error_code& ec) {
    if (ec) return;
    const LineOutput s = c->runner.step();
    pump_();
    respond(c, s, ok);
  });
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
