#include "app/kernel_dataplane.hpp"

#include <algorithm>
#include <map>
#include <set>

#include "kernel/conntrack.hpp"
#include "nft/export.hpp"
#include "nft/netlink.hpp"

namespace vfw {

KernelDataplane::KernelDataplane(Device& device,
                                 std::vector<std::pair<std::string, std::string>> binds, Log log)
    : device_(device), binds_(std::move(binds)), log_(std::move(log)) {}

// The policy first, the addresses and routes next, forwarding last: at no moment does the host
// forward what the configuration does not permit.
bool KernelDataplane::start() {
  if (!apply_table()) return false;
  // The table's `ct state` rules have loaded conntrack: now its counters can be switched on.
  if (Status s = kernel::enable_conntrack_accounting(); !s)
    log_("VFW/4/KERNEL: " + s.error().message);
  apply_host();
  if (Status s = kernel::enable_forwarding(); !s) {
    log_("VFW/3/KERNEL: " + s.error().message);
    return false;
  }
  return true;
}

void KernelDataplane::configuration_changed() {
  apply_table();
  apply_host();
}

bool KernelDataplane::apply_table() {
  nft::ExportOptions options;
  for (const auto& [device_name, linux_name] : binds_)
    options.linux_names[device_name] = linux_name;
  const nft::Ruleset rs = nft::export_ruleset(device_.config(), options);
  for (const auto& line : rs.not_expressed) {
    // Once each: a configuration change repeats the ones it did not touch.
    if (reported_.insert(line).second) log_("VFW/4/KERNEL: not in the kernel: " + line);
  }
  const nft::ApplyResult r = nft::apply(rs, "");
  if (!r.ok) {
    log_("VFW/3/KERNEL: the kernel refused table ip vfw (the previous ruleset stays): " + r.error);
    return false;
  }
  size_t rules = 0;
  for (const auto& c : rs.chains) rules += c.rules.size();
  log_("VFW/6/KERNEL: table ip vfw applied: " + std::to_string(rules) + " rules in one batch of " +
       std::to_string(r.messages) + " messages, " + std::to_string(r.batch_bytes) + " bytes");
  return true;
}

std::vector<kernel::HostAddress> KernelDataplane::wanted_addresses() const {
  std::vector<kernel::HostAddress> out;
  for (const auto& [device_name, linux_name] : binds_) {
    const auto it = device_.config().interfaces.find(device_name);
    if (it == device_.config().interfaces.end() || !it->second.address) continue;
    out.push_back({linux_name, it->second.address->host, it->second.address->length});
  }
  return out;
}

std::vector<kernel::HostRoute> KernelDataplane::wanted_routes() const {
  std::map<std::string, std::string> linux_of(binds_.begin(), binds_.end());
  std::vector<kernel::HostRoute> out;
  for (const auto& r : device_.config().routes) {
    kernel::HostRoute h;
    h.destination = r.destination.addr;
    h.prefix_length = r.destination.len;
    h.blackhole = r.interface == "NULL0";
    if (r.next_hop) h.next_hop = *r.next_hop;
    if (!h.blackhole && !r.interface.empty()) {
      const auto it = linux_of.find(r.interface);
      if (it == linux_of.end()) continue;  // out of an interface the host does not carry
      h.interface = it->second;
    }
    if (r.preference != 60) h.metric = r.preference;
    out.push_back(h);
  }
  return out;
}

// What the configuration wants on the host now: what vfw put there before and is no longer
// wanted goes, the rest is (re)placed. Addresses first: a route's next hop needs its subnet.
void KernelDataplane::apply_host() {
  auto report = [&](const Status& s) {
    if (!s) log_("VFW/4/KERNEL: " + s.error().message);
    return s.has_value();
  };
  const auto addresses = wanted_addresses();
  const auto routes = wanted_routes();
  for (const auto& r : routes_) {
    if (std::find(routes.begin(), routes.end(), r) == routes.end()) report(kernel::remove_route(r));
  }
  for (const auto& a : addresses_) {
    if (std::find(addresses.begin(), addresses.end(), a) == addresses.end())
      report(kernel::remove_address(a));
  }
  addresses_.clear();
  for (const auto& a : addresses) {
    if (report(kernel::add_address(a))) addresses_.push_back(a);
  }
  routes_.clear();
  for (const auto& r : routes) {
    if (report(kernel::add_route(r))) routes_.push_back(r);
  }
}

void KernelDataplane::remove_session(const Session& s) {
  if (Status done = kernel::delete_conntrack(s.fwd); !done)
    log_("VFW/4/KERNEL: " + done.error().message);
}

void KernelDataplane::refresh_sessions() {
  Expected<std::vector<kernel::ConntrackEntry>> dumped = kernel::dump_conntrack();
  if (!dumped) {
    log_("VFW/4/KERNEL: " + dumped.error().message);
    return;
  }
  const std::vector<kernel::ConntrackEntry>& entries = *dumped;
  Runtime& rt = device_.runtime();
  const Snapshot& snap = device_.snapshot();
  const uint32_t now = device_.now();
  rt.clear_sessions();
  // The interface a packet to this address leaves by, as the device routes it (the kernel
  // routes from the same routes): the reply's way in is the first packet's way out.
  auto interface_to = [&](uint32_t address) -> uint16_t {
    const Route* r = snap.fib.lookup(Ipv4{address});
    if (r == nullptr || r->kind == RouteKind::Local || r->kind == RouteKind::Blackhole)
      return kNoInterface;
    return r->out_if;
  };
  auto zone_of = [&](uint16_t i) {
    return i < snap.interfaces.size() ? snap.interfaces[i].zone : kNoZone;
  };
  for (const auto& e : entries) {
    Session s;
    s.fwd = e.original;
    s.rev = e.reply;
    s.in_if = interface_to(e.original.src);
    s.in_zone = zone_of(s.in_if);
    // The flow's real destination is where the reply comes from.
    s.out_if = interface_to(e.reply.src);
    s.out_zone = zone_of(s.out_if);
    for (const auto& ifc : snap.interfaces) {
      if (ifc.has_address && ifc.address.v == e.original.dst) {
        s.flags |= kSessionToDevice;
        s.out_zone = snap.local_zone;
      }
    }
    FlowFields f;
    f.in_zone = s.in_zone;
    f.out_zone = s.out_zone;
    f.src = Ipv4{e.original.src};
    f.dst = Ipv4{e.reply.src};
    f.proto = e.original.proto;
    f.sport = e.original.sport;
    f.dport = e.original.proto == ipproto::kIcmp ? e.original.dport : e.reply.sport;
    const int rule = snap.security.match(f);
    s.rule = rule < 0 ? kDefaultRule : static_cast<uint16_t>(rule);
    if (e.original.proto == ipproto::kTcp) {
      // The kernel's TCP_CONNTRACK_*: 1 SYN_SENT, 2 SYN_RECV, 3 ESTABLISHED, 4-9 closing, 7 CLOSE.
      s.tcp = e.tcp_state == 3                       ? TcpState::Established
              : e.tcp_state == 1                     ? TcpState::SynSent
              : e.tcp_state == 2                     ? TcpState::SynReceived
              : e.tcp_state == 7                     ? TcpState::Closed
              : e.tcp_state >= 4 && e.tcp_state <= 9 ? TcpState::Closing
                                                     : TcpState::None;
    }
    // Left, as the display computes it (aging time less idle time), is the kernel's timeout.
    const uint32_t ttl = rt.aging.for_session(s);
    s.last_seen = now - std::min(now, ttl > e.timeout ? ttl - e.timeout : 0);
    for (int d = 0; d < 2; ++d) {
      s.packets[d] = static_cast<uint32_t>(std::min<uint64_t>(e.packets[d], UINT32_MAX));
      s.bytes[d] = e.bytes[d];
    }
    uint32_t index = 0;
    rt.sessions.insert(s, index);
  }
}

}  // namespace vfw
