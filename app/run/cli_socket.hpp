// The CLI of a running vfw on a local socket (vfw cli --connect): a line in, its output back,
// then the end-of-response byte, the status and the prompt. Each connection is a login of its
// own, in user view; a command that goes on over time (ping) answers as it goes.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/run/daemon_log.hpp"
#include "cli/line_runner.hpp"
#include "device/device.hpp"
#include "device/rate_limited_log.hpp"

namespace vfw {

class CliListener {
 public:
  // pump: after each line, what the device queued goes out (a ping's probes, IKE).
  CliListener(boost::asio::io_context& io, Device& device, DaemonLog& log,
              std::function<void()> pump, std::string save_path);

  // Listens on path (its folder made, a stale socket replaced, the owner only); logged.
  void listen(const std::string& path);

 private:
  struct Connection;
  void accept();
  void serve(const std::shared_ptr<Connection>& c);
  void respond(const std::shared_ptr<Connection>& c, const LineOutput& r, bool ok);
  void step_activity(const std::shared_ptr<Connection>& c, bool ok);

  boost::asio::io_context& io_;
  Device& device_;
  DaemonLog& log_;
  std::function<void()> pump_;
  std::string save_path_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  boost::asio::steady_timer accept_pause_;  // after a failed accept (EMFILE): a pause, not a spin
  RateLimitedLog accept_log_{1};
};

// vfw cli --connect PATH: sends each line of input (or each command) to a running daemon and
// prints what it answers. Returns 0 when every line succeeded.
int connect_cli(const std::string& socket_path, const std::vector<std::string>& commands);

// The default socket of a daemon: $XDG_RUNTIME_DIR/vfw.sock, else /tmp/vfw-UID/vfw.sock.
std::string default_socket_path();

}  // namespace vfw
