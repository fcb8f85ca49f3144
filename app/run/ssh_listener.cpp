#include "app/run/ssh_listener.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>

#include <boost/asio/ip/tcp.hpp>
#include <cstring>
#include <vector>

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

// The IPv4 addresses of a Linux interface, as the kernel holds them now.
std::vector<Ipv4> addresses_of(const std::string& linux_interface) {
  std::vector<Ipv4> out;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return out;
  for (const ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_INET) continue;
    if (linux_interface != a->ifa_name) continue;
    sockaddr_in in{};
    std::memcpy(&in, a->ifa_addr, sizeof in);
    out.push_back(Ipv4{ntohl(in.sin_addr.s_addr)});
  }
  freeifaddrs(list);
  return out;
}

constexpr const char* kManagementPort = "GigabitEthernet0/0/0";

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
    listen_on(ifc.address->host, name);
  }
  if (!options_.manage_interface.empty()) listen_on_management_interface();
  retry_.expires_after(std::chrono::seconds(5));
  retry_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) listen();
  });
}

void SshListener::listen_on_management_interface() {
  // GigabitEthernet0/0/0 bound to a Linux interface of its own: that one is the port.
  const uint16_t index = device_.snapshot().interface_index(kManagementPort);
  if (index != kNoInterface && bound_(index)) return;
  // What the device sees a connection arrive for: GigabitEthernet0/0/0's address as the
  // configuration has it now (a line typed since may have changed it).
  const auto it = device_.config().interfaces.find(kManagementPort);
  management_address_.reset();
  if (it != device_.config().interfaces.end() && it->second.address)
    management_address_ = it->second.address->host;
  if (!management_address_) {
    if (!std::exchange(told_no_management_address_, true)) {
      log_.line(std::string("SSH/4/BIND: ") + kManagementPort + " has no address: no SSH on " +
                options_.manage_interface + " until it has one");
    }
    return;
  }
  told_no_management_address_ = false;
  const std::vector<Ipv4> here = addresses_of(options_.manage_interface);
  if (here.empty() && !std::exchange(told_no_linux_address_, true)) {
    log_.line("SSH/4/BIND: " + options_.manage_interface +
              " has no IPv4 address (is it the management interface's name?); tried again "
              "every few seconds");
  }
  for (const Ipv4 a : here) {
    if (interface_of_.count(a.v) != 0) continue;
    management_addresses_.insert(a.v);
    listen_on(a, kManagementPort);
  }
}

void SshListener::listen_on(Ipv4 address, const std::string& interface) {
  if (!server_) return;  // no host key: no SSH
  if (!key_loaded_) {
    if (Status loaded = server_->load_host_key(); !loaded) {
      log_.line("SSH/3/HOSTKEY: " + loaded.error().message + "; no SSH");
      server_.reset();
      return;
    }
    key_loaded_ = true;
    log_.line("SSH/6/HOSTKEY: host key " + options_.host_key_path + ", " + server_->fingerprint());
  }
  const std::string at =
      to_string(address) + ":" + std::to_string(options_.port) + " (" + interface + ")";
  // The same address is not tried again, listening or not: a port another program holds
  // is logged once.
  interface_of_[address.v] = interface;
  if (Status listening = server_->listen(address); !listening) {
    log_.line("SSH/4/BIND: cannot listen on " + at + ": " + listening.error().message);
    return;
  }
  log_.line("SSH/6/BIND: SSH on " + at);
}

// The device decides as for any packet to it: a SYN from the client arriving on the interface
// that holds the address, through the pipeline (service-manage ssh, else the security policy
// towards the local zone). Returns "" when SSH may answer, else the reason.
std::string SshListener::admission(Ipv4 client, uint16_t port, Ipv4 local, std::string& interface) {
  const auto it = interface_of_.find(local.v);
  if (it == interface_of_.end()) return "no interface holds " + to_string(local);
  interface = it->second;
  const bool management = management_addresses_.count(local.v) != 0;
  if (management && !management_address_) return std::string(kManagementPort) + " has no address";
  PacketSpec spec;
  spec.protocol = ipproto::kTcp;
  spec.src = client;
  spec.dst = management ? *management_address_ : local;
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
