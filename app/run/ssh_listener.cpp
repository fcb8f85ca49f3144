#include "app/run/ssh_listener.hpp"

#include <boost/asio/ip/tcp.hpp>

#include "packet/packet.hpp"

namespace vfw {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// Whether this host holds the address (SSH can only listen where it does).
bool address_on_host(Ipv4 address) {
  asio::io_context io;
  tcp::socket probe(io);
  boost::system::error_code ec;
  probe.open(tcp::v4(), ec);
  if (!ec) probe.bind(tcp::endpoint(asio::ip::address_v4(address.v), 0), ec);
  return !ec;
}

}  // namespace

SshListener::SshListener(asio::io_context& io, Device& device, DaemonLog& log,
                         std::function<void()> pump, std::function<bool(uint16_t)> bound,
                         Options options)
    : device_(device),
      log_(log),
      bound_(std::move(bound)),
      options_(std::move(options)),
      retry_(io) {
  manage::SshDeviceSide side;
  side.device = &device_;
  side.save_path = options_.save_path;
  side.admission = [this](Ipv4 client, uint16_t port, Ipv4 local, std::string& interface) {
    return admission(client, port, local, interface);
  };
  side.after_command = std::move(pump);
  side.log = [this](const std::string& line) { log_.line(line); };
  manage::SshServerOptions o;
  o.port = options_.port;
  o.host_key_path = options_.host_key_path;
  server_ = std::make_unique<manage::SshServer>(io, std::move(side), o);
}

void SshListener::start() {
  listen();
}

void SshListener::stop() {
  if (server_) server_->stop();
  retry_.cancel();
}

void SshListener::listen() {
  if (!server_) return;
  for (const auto& [name, ifc] : device_.config().interfaces) {
    if (!ifc.address || interface_of_.count(ifc.address->host.v) != 0) continue;
    if (bound_(device_.snapshot().interface_index(name))) continue;
    if (!address_on_host(ifc.address->host)) continue;
    if (!key_loaded_) {
      if (Status loaded = server_->load_host_key(); !loaded) {
        log_.line("SSH/3/HOSTKEY: " + loaded.error().message + "; no SSH");
        server_.reset();
        return;
      }
      key_loaded_ = true;
      log_.line("SSH/6/HOSTKEY: host key " + options_.host_key_path + ", " +
                server_->fingerprint());
    }
    const std::string at =
        to_string(ifc.address->host) + ":" + std::to_string(options_.port) + " (" + name + ")";
    // The same address is not tried again, listening or not: a port another program holds
    // is logged once.
    interface_of_[ifc.address->host.v] = name;
    if (Status listening = server_->listen(ifc.address->host); !listening) {
      log_.line("SSH/4/BIND: cannot listen on " + at + ": " + listening.error().message);
      continue;
    }
    log_.line("SSH/6/BIND: SSH on " + at);
  }
  retry_.expires_after(std::chrono::seconds(5));
  retry_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) listen();
  });
}

// The device decides as for any packet to it: a SYN from the client arriving on the interface
// that holds the address, through the pipeline (service-manage ssh, else the security policy
// towards the local zone). Returns "" when SSH may answer, else the reason.
std::string SshListener::admission(Ipv4 client, uint16_t port, Ipv4 local, std::string& interface) {
  const auto it = interface_of_.find(local.v);
  if (it == interface_of_.end()) return "no interface holds " + to_string(local);
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

}  // namespace vfw
