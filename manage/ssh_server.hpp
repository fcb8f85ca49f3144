// The VRP CLI over SSH (STelnet), for `vfw run`: libssh's server, one thread per session.
//
// The device stays single-threaded: connections are accepted on the daemon's Boost.Asio loop,
// where the device decides whether the interface of arrival lets SSH through (`service-manage ssh
// permit`, else the security policy to the local zone) and whether the source is locked out
// (manage/login_guard.hpp); an admitted connection gets a thread for libssh's blocking key
// exchange, authentication and channel, and every login check and command line runs back on the
// device's loop (posted, awaited). Each session has its own CLI (its view, its screen-length), as
// each VTY of the device does.
//
// Local users are aaa's manager-users with `service-type ssh` (config/aaa.hpp); three wrong
// passwords end a connection, and an address with too many failures is locked out. The host key
// (Ed25519) is made on first start and kept (0600), so that clients see the same key after a
// restart.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/expected.hpp"
#include "device/device.hpp"
#include "manage/login_guard.hpp"

namespace boost::asio {
class io_context;
}

namespace vfw::manage {

struct SshServerOptions {
  std::string host_key_path;  // made there on first start
  uint16_t port = 22;
  int login_timeout_seconds = 60;  // key exchange and authentication (`ssh server timeout`)
  int idle_timeout_seconds = 600;  // `idle-timeout 10 0` of the VTYs
  size_t max_sessions = 10;        // the USG's VTY users: logged-in users only
  // Connections not yet logged in (OpenSSH's MaxStartups 10:30:30 and PerSourceMaxStartups 3):
  // from preauth_start on, newcomers are refused at random (30%, rising to 100% at preauth_full).
  size_t preauth_per_source = 3;
  size_t preauth_start = 10;
  size_t preauth_full = 30;
  long key_exchange_seconds = 10;  // a client silent this long in the key exchange is gone
  int auth_retries = 3;            // `ssh server authentication-retries`
  LoginGuard::Limits guard;
};

// What the server needs from the daemon; every call is made on the device's thread.
struct SshDeviceSide {
  Device* device = nullptr;
  std::string save_path;  // where `save` without a file name writes
  // Whether a connection from client to local may reach SSH: empty if so, the refusal's reason
  // (for the log) if not; `interface` gets the interface of arrival.
  std::function<std::string(Ipv4 client, uint16_t client_port, Ipv4 local, std::string& interface)>
      admission;
  std::function<void()> after_command;  // a command may have set IKE or frames moving
  std::function<void(const std::string& line)> log;
};

class SshServer {
 public:
  SshServer(boost::asio::io_context& io, SshDeviceSide side, SshServerOptions options);
  ~SshServer();
  SshServer(const SshServer&) = delete;
  SshServer& operator=(const SshServer&) = delete;

  // Loads the host key, making it first if there is none; why not, when it cannot.
  Status load_host_key();
  // The host key's SHA-256 fingerprint, as ssh-keygen -l prints it.
  std::string fingerprint() const;
  // Listens on address:port (the device's address on an interface the host holds).
  Status listen(Ipv4 address);
  // Closes the listeners, ends every session and waits for their threads.
  void stop();
  size_t sessions() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vfw::manage
