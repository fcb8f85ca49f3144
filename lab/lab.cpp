#include "lab/lab.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "cli/config_loader.hpp"
#include "config/interface_name.hpp"
#include "config/words.hpp"
#include "ipsec/algorithms.hpp"

namespace vfw::lab {
namespace {

// Node names as a user types them: `lab ping PC1` for the node pc1.
bool same_name(const std::string& a, const std::string& b) {
  return config::iequals(a, b);
}

// What a link filter names a packet by: "udp 500", "udp 4500", "esp", or "".
std::string filter_class(std::span<const uint8_t> bytes) {
  PacketInfo info;
  if (parse_ipv4(bytes, info) != DropReason::None) return "";
  if (info.protocol == ipproto::kEsp) return "esp";
  if (info.protocol == ipproto::kUdp && info.has_l4) {
    if (info.dst_port == 500 || info.src_port == 500) return "udp 500";
    if (info.dst_port == 4500 || info.src_port == 4500) return "udp 4500";
  }
  return "";
}

// packet-trace's words for the packet a firewall receives: "tcp 10.1.1.2:40000 -> 10.2.1.2:80,
// 60 bytes, input GigabitEthernet0/0/1".
std::string packet_line(std::span<const uint8_t> packet, const std::string& input) {
  PacketInfo info;
  if (parse_ipv4(packet, info) != DropReason::None) return "";
  const std::string proto = info.protocol == ipproto::kIcmp  ? "icmp"
                            : info.protocol == ipproto::kTcp ? "tcp"
                            : info.protocol == ipproto::kUdp ? "udp"
                            : info.protocol == ipproto::kEsp ? "esp"
                                                             : std::to_string(info.protocol);
  const bool ports =
      info.has_l4 && (info.protocol == ipproto::kTcp || info.protocol == ipproto::kUdp);
  return proto + " " + to_string(info.src) + (ports ? ":" + std::to_string(info.src_port) : "") +
         " -> " + to_string(info.dst) + (ports ? ":" + std::to_string(info.dst_port) : "") + ", " +
         std::to_string(info.total_length) + " bytes, input " + input;
}

}  // namespace

std::unique_ptr<Lab> Lab::create(const Topology& topology, std::vector<std::string>& errors,
                                 const std::map<std::string, std::string>* files) {
  std::unique_ptr<Lab> lab(new Lab());
  lab->name_ = topology.name;
  for (const auto& spec : topology.nodes) {
    Node n;
    n.name = spec.name;
    if (spec.kind == lab::NodeKind::Host) {
      n.host = std::make_unique<Host>(spec.name, spec.address, spec.prefix_length, spec.gateway,
                                      spec.mtu);
    } else {
      cli::LoadResult loaded;
      if (files != nullptr) {
        const auto it = files->find(spec.startup_config);
        if (it == files->end()) {
          errors.push_back(spec.name + ": no configuration " + spec.startup_config);
          continue;
        }
        loaded = cli::load_config_text(it->second, spec.startup_config);
      } else {
        loaded = cli::load_config_file(spec.startup_config.rfind('/', 0) == 0
                                           ? spec.startup_config
                                           : topology.folder + "/" + spec.startup_config);
      }
      for (const auto& e : loaded.errors) errors.push_back(e.format());
      if (!loaded.ok()) continue;
      n.device = std::make_unique<Device>(std::move(loaded.config), kSessionCapacity);
      n.random = std::make_unique<ike::SeededRandom>("vfw lab " + topology.name + "/" + spec.name);
      n.device->ike().set_random(*n.random);
    }
    lab->nodes_.push_back(std::move(n));
  }
  if (!errors.empty()) return nullptr;
  // Each firewall on Ethernet through the front end `vfw run --bind` uses; its frames go onto
  // the lab's links.
  for (size_t i = 0; i < lab->nodes_.size(); ++i) {
    Node& n = lab->nodes_[i];
    if (n.device == nullptr) continue;
    Lab* self = lab.get();
    n.frames = std::make_unique<EthernetFrontEnd>(
        *n.device, [self, i](uint16_t out, std::span<const uint8_t> frame, Tag tag) {
          self->from_firewall(i, out, frame, tag);
        });
    n.frames->set_wait_observer([self, i](Tag tag, uint16_t, Ipv4 hop) {
      if (Leg* leg = self->leg_of(tag))
        leg->end(LegOutcome::WaitingForArp, self->nodes_[i].name,
                 "waiting at " + self->nodes_[i].name + " for the MAC address of " +
                     to_string(hop) + " (ARP unanswered)");
    });
  }
  lab->set_clock(0);
  auto port = [&](const Endpoint& e, int line, Port& out) {
    const auto it = std::find_if(lab->nodes_.begin(), lab->nodes_.end(),
                                 [&](const Node& n) { return n.name == e.node; });
    out.node = static_cast<size_t>(it - lab->nodes_.begin());
    out.interface = e.interface;
    out.written = e.interface;
    if (it->device == nullptr) return;
    const std::string named = device_interface(*topology.node(e.node), e.interface);
    const auto name = config::normalize_interface(named);
    if (!name || it->device->snapshot().interface_index(*name) == kNoInterface) {
      errors.push_back("link at line " + std::to_string(line) + ": " + e.node +
                       " has no interface " + e.interface +
                       (named != e.interface ? " (" + named + ")" : std::string()));
      return;
    }
    out.interface = *name;
  };
  std::vector<uint8_t> ports_of(lab->nodes_.size(), 0);
  auto mac = [&](Port& p) {
    // Huawei's OUI for the firewalls, a locally administered one for the hosts; then the node
    // and the port: stable from one run to the next.
    const bool host = lab->nodes_[p.node].host != nullptr;
    p.mac = {static_cast<uint8_t>(host ? 0x02 : 0x00),
             static_cast<uint8_t>(host ? 0x00 : 0xe0),
             static_cast<uint8_t>(host ? 0x00 : 0xfc),
             static_cast<uint8_t>(p.node >> 8),
             static_cast<uint8_t>(p.node),
             ++ports_of[p.node]};
    if (const Node& n = lab->nodes_[p.node]; n.device != nullptr)
      n.frames->attach(n.device->snapshot().interface_index(p.interface), p.mac);
  };
  for (const auto& spec : topology.links) {
    Link l;
    l.spec = spec;
    port(spec.a, spec.line, l.a);
    port(spec.b, spec.line, l.b);
    mac(l.a);
    mac(l.b);
    lab->links_.push_back(std::move(l));
  }
  if (!errors.empty()) return nullptr;
  return lab;
}

Device* Lab::device(const std::string& name) {
  for (auto& n : nodes_) {
    if (same_name(n.name, name)) return n.device.get();
  }
  return nullptr;
}

Host* Lab::host(const std::string& name) {
  for (auto& n : nodes_) {
    if (same_name(n.name, name)) return n.host.get();
  }
  return nullptr;
}

std::vector<std::string> Lab::node_names() const {
  std::vector<std::string> names;
  for (const auto& n : nodes_) names.push_back(n.name);
  return names;
}

std::vector<std::string> Lab::host_names() const {
  std::vector<std::string> names;
  for (const auto& n : nodes_) {
    if (n.host != nullptr) names.push_back(n.name);
  }
  return names;
}

std::vector<std::string> Lab::link_endpoints() const {
  std::vector<std::string> ends;
  for (const auto& l : links_) {
    for (const Port* p : {&l.a, &l.b}) ends.push_back(nodes_[p->node].name + ":" + p->interface);
  }
  return ends;
}

std::vector<Ipv4> Lab::neighbours(const std::string& node) const {
  std::vector<Ipv4> found;
  for (const auto& l : links_) {
    for (const auto& [mine, theirs] : {std::pair{&l.a, &l.b}, std::pair{&l.b, &l.a}}) {
      if (nodes_[mine->node].name != node) continue;
      const Node& far = nodes_[theirs->node];
      if (far.host) {
        found.push_back(far.host->address());
      } else if (far.device) {
        const auto i = far.device->config().interfaces.find(theirs->interface);
        if (i != far.device->config().interfaces.end() && i->second.address)
          found.push_back(i->second.address->host);
      }
    }
  }
  return found;
}

std::string Lab::describe(const std::string& attached) const {
  std::string o = "Lab " + name_ + ": " + std::to_string(nodes_.size()) + " nodes, " +
                  std::to_string(links_.size()) + " links, clock " +
                  std::to_string(now_ms_ / 1000) + "." + std::to_string(now_ms_ % 1000 / 100) +
                  " s\n";
  for (const auto& n : nodes_) {
    char line[160];
    if (n.host) {
      std::snprintf(line, sizeof line, "  %-8s host  %s/%u%s\n", n.name.c_str(),
                    to_string(n.host->address()).c_str(), n.host->prefix_length(),
                    n.host->gateway() ? (" gateway " + to_string(*n.host->gateway())).c_str() : "");
    } else {
      std::snprintf(line, sizeof line, "  %-8s vfw   %s%s\n", n.name.c_str(),
                    n.device->config().sysname.c_str(), n.name == attached ? " (attached)" : "");
    }
    o += line;
  }
  for (const auto& l : links_) {
    o += "  " + nodes_[l.a.node].name + ":" + l.a.interface + " -- " + nodes_[l.b.node].name + ":" +
         l.b.interface + (l.up ? "  up" : "  down");
    o += ", delay " + std::to_string(l.spec.delay_ms) + " ms";
    if (l.spec.loss > 0) o += ", loss " + std::to_string(static_cast<int>(l.spec.loss * 100)) + "%";
    if (l.spec.mtu != 0) o += ", mtu " + std::to_string(l.spec.mtu);
    for (const auto& d : l.spec.drop) o += ", drops " + d;
    o += "\n";
  }
  return o;
}

void Lab::set_clock(uint64_t ms) {
  // The devices' dates (display timestamps, logs) follow the simulated clock from a fixed start,
  // so that a lab's output is the same on every run: 2026-01-01 00:00:00 UTC.
  constexpr int64_t kLabEpochMs = 1767225600000;
  now_ms_ = ms;
  for (auto& n : nodes_) {
    if (!n.device) continue;
    n.device->set_time(static_cast<uint32_t>(ms / 1000));
    n.device->fix_wall_clock(kLabEpochMs + static_cast<int64_t>(ms));
  }
}

Lab::Link* Lab::link_at(const std::string& endpoint) {
  const size_t colon = endpoint.find(':');
  if (colon == std::string::npos) return nullptr;
  const std::string node = endpoint.substr(0, colon);
  const std::string typed = endpoint.substr(colon + 1);
  const std::string interface = config::normalize_interface(typed).value_or(typed);
  for (auto& l : links_) {
    for (const Port* p : {&l.a, &l.b}) {
      if (same_name(nodes_[p->node].name, node) &&
          (p->interface == interface || p->interface == typed || p->written == typed))
        return &l;
    }
  }
  return nullptr;
}

WiresharkTables Lab::keys() const {
  std::vector<const Device*> devices;
  for (const auto& n : nodes_) {
    if (n.device) devices.push_back(n.device.get());
  }
  return wireshark_tables(devices);
}

Status Lab::capture(const std::string& endpoint, const std::string& file) {
  Link* l = link_at(endpoint);
  if (l == nullptr) return fail("no link at " + endpoint);
  if (file.empty()) {
    l->capture.reset();
    return {};
  }
  auto writer = PcapWriter::open(file, true);
  if (!writer) {
    // libpcap's message names the file already when the file is what failed.
    const std::string& why = writer.error().message;
    return fail(why.rfind(file + ":", 0) == 0 ? "cannot write " + why
                                              : "cannot write " + file + ": " + why);
  }
  l->capture = std::move(*writer);
  return {};
}

bool Lab::set_link(const std::string& endpoint, bool up) {
  Link* l = link_at(endpoint);
  if (l != nullptr) l->up = up;
  return l != nullptr;
}

bool Lab::set_link_impairment(const std::string& endpoint, const std::vector<std::string>& drop,
                              uint32_t mtu) {
  Link* l = link_at(endpoint);
  if (l == nullptr) return false;
  l->spec.drop = drop;
  l->spec.mtu = mtu;
  return true;
}

Lab::Link* Lab::link_of(size_t node, const std::string& interface, int& side) {
  for (auto& l : links_) {
    if (l.a.node == node && l.a.interface == interface) {
      side = 0;
      return &l;
    }
    if (l.b.node == node && l.b.interface == interface) {
      side = 1;
      return &l;
    }
  }
  return nullptr;
}

Lab::Tag Lab::follow(Leg* leg) {
  if (leg == nullptr) return 0;
  followed_.push_back(leg);
  return followed_base_ + followed_.size();
}

Lab::Leg* Lab::leg_of(Tag tag) const {
  if (tag <= followed_base_ || tag > followed_base_ + followed_.size()) return nullptr;
  return followed_[tag - followed_base_ - 1];
}

void Lab::put_on_link(Link& l, int side, std::vector<uint8_t> frame, Tag tag) {
  Leg* leg = leg_of(tag);
  auto lost = [&](const std::string& why) {
    ++link_drops_[why];
    if (leg != nullptr)
      leg->end(LegOutcome::Lost, "",
               "lost on the link " + nodes_[l.a.node].name + ":" + l.a.interface + " -- " +
                   nodes_[l.b.node].name + ":" + l.b.interface + " (" + why + ")");
  };
  const Port& to = side == 0 ? l.b : l.a;
  const bool ip = load16(&frame[12]) == kEtherTypeIpv4;
  // The IP packet inside the frame, looked at in place (no copy on the per-hop path).
  const std::span<const uint8_t> payload = std::span<const uint8_t>(frame).subspan(14);
  if (!l.up) return lost("link down");
  if (ip && l.spec.mtu != 0) {
    PacketInfo info;
    if (parse_ipv4(payload, info) == DropReason::None && info.total_length > l.spec.mtu)
      return lost("mtu");
  }
  if (ip && !l.spec.drop.empty()) {
    const std::string what = filter_class(payload);
    if (std::find(l.spec.drop.begin(), l.spec.drop.end(), what) != l.spec.drop.end())
      return lost("filter " + what);
  }
  if (l.spec.loss > 0 && std::uniform_real_distribution<double>(0, 1)(random_) < l.spec.loss)
    return lost("loss");
  if (l.capture) {
    // The lab's dates start on 2026-01-01, as the devices' (set_clock).
    constexpr uint32_t kLabEpoch = 1767225600;
    l.capture->write(frame, kLabEpoch + static_cast<uint32_t>(now_ms_ / 1000),
                     static_cast<uint32_t>(now_ms_ % 1000) * 1000);
  }
  events_.push(
      Event{now_ms_ + l.spec.delay_ms, order_++, to.node, to.interface, std::move(frame), tag});
}

bool Lab::send(const std::string& host, std::vector<uint8_t> packet) {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!same_name(nodes_[i].name, host) || nodes_[i].host == nullptr) continue;
    for (const auto& l : links_) {
      const Port* p = l.a.node == i ? &l.a : l.b.node == i ? &l.b : nullptr;
      if (p == nullptr) continue;
      transmit(i, p->interface, std::move(packet));
      return true;
    }
  }
  return false;
}

// A host sends an IP packet out of its interface: to its gateway unless the destination is on its
// own network, resolved by ARP first (the packet waits, one request goes out for all that wait).
void Lab::transmit(size_t host, const std::string& interface, std::vector<uint8_t> bytes, Tag tag) {
  Leg* leg = leg_of(tag);
  int side = 0;
  Link* l = link_of(host, interface, side);
  if (l == nullptr) {
    ++link_drops_["no link"];
    if (leg != nullptr)
      leg->end(LegOutcome::Lost, nodes_[host].name,
               "lost: " + nodes_[host].name + ":" + interface + " has no link");
    return;
  }
  const Host& h = *nodes_[host].host;
  PacketInfo info;
  if (parse_ipv4(bytes, info) != DropReason::None) return;
  const Prefix own = Prefix::make(h.address(), h.prefix_length());
  const Ipv4 hop = own.contains(info.dst) || !h.gateway() ? info.dst : *h.gateway();
  const Port& from = side == 0 ? l->a : l->b;
  if (const auto known = l->arp[side].find(hop.v); known != l->arp[side].end()) {
    put_on_link(*l, side, ethernet_frame(known->second, from.mac, kEtherTypeIpv4, bytes), tag);
    return;
  }
  auto& queue = l->waiting[side][hop.v];
  if (leg != nullptr)
    leg->end(LegOutcome::WaitingForArp, nodes_[host].name,
             "waiting at " + nodes_[host].name + " for the MAC address of " + to_string(hop) +
                 " (ARP unanswered)");
  if (queue.size() >= ArpTable::kMaxWaiting) {
    ++link_drops_["arp queue full"];
    return;
  }
  queue.push_back({std::move(bytes), tag});
  if (queue.size() > 1) return;
  const ArpMessage request{ArpMessage::kRequest, from.mac, h.address(), {}, hop};
  put_on_link(*l, side, ethernet_frame(kBroadcastMac, from.mac, kEtherTypeArp, arp_bytes(request)),
              0);
}

void Lab::host_arp(Link& l, int side, const std::vector<uint8_t>& frame) {
  const auto m = parse_arp(std::span<const uint8_t>(frame).subspan(kEthernetHeaderBytes));
  if (!m) return;
  const Port& me = side == 0 ? l.a : l.b;
  // RFC 826: the sender is learnt by whoever the request is for, and from every reply.
  const bool for_me = nodes_[me.node].host->address() == m->target;
  if (m->op == ArpMessage::kReply || (m->op == ArpMessage::kRequest && for_me))
    l.arp[side][m->sender.v] = m->sender_mac;
  if (m->op == ArpMessage::kRequest && for_me) {
    const ArpMessage reply{ArpMessage::kReply, me.mac, m->target, m->sender_mac, m->sender};
    put_on_link(l, side, ethernet_frame(m->sender_mac, me.mac, kEtherTypeArp, arp_bytes(reply)), 0);
  }
  // What waited for that address leaves now.
  const auto waiting = l.waiting[side].find(m->sender.v);
  if (waiting == l.waiting[side].end() || l.arp[side].count(m->sender.v) == 0) return;
  auto packets = std::move(waiting->second);
  l.waiting[side].erase(waiting);
  for (auto& p : packets)
    put_on_link(l, side, ethernet_frame(m->sender_mac, me.mac, kEtherTypeIpv4, p.packet), p.tag);
}

void Lab::from_firewall(size_t node, uint16_t out, std::span<const uint8_t> frame, Tag tag) {
  const std::string& interface = nodes_[node].device->snapshot().interfaces[out].name;
  int side = 0;
  Link* l = link_of(node, interface, side);
  if (l == nullptr) {
    ++link_drops_["no link"];
    if (Leg* leg = leg_of(tag))
      leg->end(LegOutcome::Lost, nodes_[node].name,
               "lost: " + nodes_[node].name + ":" + interface + " has no link");
    return;
  }
  put_on_link(*l, side, std::vector<uint8_t>(frame.begin(), frame.end()), tag);
}

void Lab::arrive(Event& e) {
  int side = 0;
  Link* l = link_of(e.node, e.interface, side);
  if (l == nullptr || e.bytes.size() < kEthernetHeaderBytes) return;
  if (nodes_[e.node].host)
    arrive_at_host(e, *l, side);
  else
    arrive_at_firewall(e);
}

void Lab::arrive_at_host(Event& e, Link& l, int side) {
  const Port& me = side == 0 ? l.a : l.b;
  if (!std::equal(me.mac.begin(), me.mac.end(), e.bytes.begin()) &&
      !std::equal(kBroadcastMac.begin(), kBroadcastMac.end(), e.bytes.begin()))
    return;  // another station's frame
  const uint16_t type = load16(&e.bytes[12]);
  if (type == kEtherTypeArp) {
    host_arp(l, side, e.bytes);
    return;
  }
  if (type != kEtherTypeIpv4) return;
  // The IP packet, without the frame and the padding a short one was given.
  e.bytes.erase(e.bytes.begin(), e.bytes.begin() + kEthernetHeaderBytes);
  PacketInfo info;
  const bool parsed = parse_ipv4(e.bytes, info) == DropReason::None;
  if (parsed && info.total_length < e.bytes.size()) e.bytes.resize(info.total_length);
  Node& n = nodes_[e.node];
  const bool mine = parsed && info.dst == n.host->address();
  Leg* leg = leg_of(e.tag);
  if (leg != nullptr) {
    leg->delivered = mine;
    if (mine) {
      leg->end(LegOutcome::Delivered, n.name,
               "delivered to " + n.name + " (" + to_string(info.dst) + ")");
    } else {
      leg->end(LegOutcome::ReachedOtherHost, n.name,
               "reached " + n.name + ", which is not " + to_string(info.dst));
    }
  }
  // The traced packet's answer is the reply leg's packet.
  const Tag reply = follow(leg != nullptr && mine ? std::exchange(reply_leg_, nullptr) : nullptr);
  for (auto& r : n.host->receive(e.bytes, now_ms_)) transmit(e.node, e.interface, r, reply);
}

void Lab::arrive_at_firewall(Event& e) {
  Node& n = nodes_[e.node];
  const uint16_t in = n.device->snapshot().interface_index(e.interface);
  // Room for an ESP encapsulation to grow the packet where it lies.
  constexpr size_t kTailroom = 128;
  const auto length = static_cast<uint32_t>(e.bytes.size());
  e.bytes.resize(e.bytes.size() + kTailroom);
  EthernetFrontEnd::Frame frame{e.bytes.data(), length, static_cast<uint32_t>(e.bytes.size())};
  Leg* leg = leg_of(e.tag);
  if (leg == nullptr) {
    n.frames->receive(in, {&frame, 1});
    return;
  }
  Trace trace;
  trace.packet = packet_line(std::span<const uint8_t>(e.bytes).subspan(
                                 kEthernetHeaderBytes, length - kEthernetHeaderBytes),
                             e.interface);
  const auto a = n.frames->receive_traced(in, frame, trace, e.tag);
  if (!a) return;  // ARP, or not for this firewall
  leg->hops.push_back({n.name, e.interface, std::move(trace)});
  const Trace& t = leg->hops.back().trace;
  if (*a == Action::ToDevice) {
    leg->delivered = true;
    leg->end(LegOutcome::DeliveredToDevice, n.name, "delivered to " + n.name + " itself");
  } else if (*a == Action::Drop) {
    const TraceStep* at = nullptr;
    for (const auto& st : t.steps) {
      if (st.drop != DropReason::None) at = &st;
    }
    if (t.result.held) {
      leg->end(LegOutcome::Held, n.name,
               "held at " + n.name + " while IKE negotiates (ipsec-sa-negotiating)");
    } else {
      leg->end(
          LegOutcome::Dropped, n.name,
          "dropped at " + n.name +
              (at != nullptr ? " by stage " + std::string(stage_id(at->stage)) : std::string()) +
              " (" + std::string(drop_reason_id(t.result.drop)) + ")");
    }
    if (at != nullptr) leg->stage = at->stage;
    leg->drop = t.result.drop;
  }
}

void Lab::flush(size_t node) {
  nodes_[node].frames->run();
}

void Lab::carry_device_traffic() {
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (nodes_[i].device) flush(i);
  }
}

void Lab::run(uint64_t until_ms) {
  while (!events_.empty() && events_.top().at_ms <= until_ms) {
    Event e = events_.top();
    events_.pop();
    set_clock(std::max(now_ms_, e.at_ms));
    arrive(e);
  }
}

void Lab::advance(uint64_t ms) {
  const uint64_t target = now_ms_ + ms;
  while (now_ms_ < target) {
    // The devices' timers run on whole seconds: run to the next one, then tick.
    const uint64_t next_second = (now_ms_ / 1000 + 1) * 1000;
    const uint64_t stop = std::min(target, next_second);
    run(stop);
    set_clock(stop);
    if (stop == next_second) {
      for (size_t i = 0; i < nodes_.size(); ++i) {
        if (!nodes_[i].device) continue;
        nodes_[i].device->ike_tick();
        flush(i);
      }
    }
  }
  run(now_ms_);
}

Lab::TraceResult Lab::trace(const std::string& host, const PacketSpec& packet) {
  TraceResult r;
  size_t from = nodes_.size();
  std::string port;
  for (size_t i = 0; i < nodes_.size(); ++i) {
    if (!same_name(nodes_[i].name, host) || nodes_[i].host == nullptr) continue;
    for (const auto& l : links_) {
      if (l.a.node == i) port = l.a.interface;
      if (l.b.node == i) port = l.b.interface;
    }
    from = i;
  }
  if (from == nodes_.size() || port.empty()) return r;
  // The legs are filled while the events run: their addresses must not move meanwhile.
  r.legs.reserve(3);
  auto fresh = [](LegKind kind) {
    Leg leg;
    leg.kind = kind;
    return leg;
  };
  Leg reply = fresh(LegKind::Reply);
  auto attempt = [&](LegKind kind, uint16_t ip_id) {
    r.legs.push_back(fresh(kind));
    Leg* leg = &r.legs.back();
    reply = fresh(LegKind::Reply);
    reply_leg_ = &reply;
    PacketSpec p = packet;
    p.ip_id = ip_id;
    transmit(from, port, build_packet(p), follow(leg));
    run();
    reply_leg_ = nullptr;
    if (leg->disposition.empty()) leg->end(LegOutcome::NotForwarded, "", "no node took it further");
    return leg;
  };
  const Leg* first = attempt(LegKind::Packet, packet.ip_id);
  // Held for IKE: what the negotiation did, then the same packet again.
  if (!first->hops.empty() && first->hops.back().trace.result.drop == DropReason::IpsecNoSa) {
    const Hop& held = first->hops.back();
    Device& d = *device(held.node);
    bool up = false;
    for (const auto& sa : d.runtime().sad.all()) up = up || !sa->inbound;
    r.negotiation = up ? held.node +
                             " negotiated its tunnel: the IKE SA and the IPSec SA pair are up "
                             "(display ike sa)"
                       : held.node + "'s negotiation failed";
    for (const auto& e : d.ike().error_info())
      r.negotiation += "; " + held.node + " recorded: error reason: " +
                       std::string(ike::failure_words(e.record.reason)) + " (peer " +
                       to_string(e.record.peer) + ")";
    attempt(LegKind::SecondAttempt, static_cast<uint16_t>(packet.ip_id + 1));
  }
  if (!reply.hops.empty() || !reply.disposition.empty()) r.legs.push_back(reply);
  followed_base_ += followed_.size();
  followed_.clear();
  return r;
}

std::string Lab::format_trace_text(const TraceResult& t) {
  std::string o;
  for (const auto& leg : t.legs) {
    o += "== " + std::string(leg_id(leg.kind)) + " ==\n";
    for (size_t i = 0; i < leg.hops.size(); ++i) {
      const Hop& h = leg.hops[i];
      o += "\nHop " + std::to_string(i + 1) + ": " + h.node + ", input " + h.input + "\n";
      const std::string text = vfw::format_trace_text(h.trace);
      for (size_t at = 0; at < text.size();) {
        const size_t nl = text.find('\n', at);
        o += "  " + text.substr(at, nl - at + 1);
        at = nl == std::string::npos ? text.size() : nl + 1;
      }
    }
    o += "\nDisposition: " + leg.disposition + "\n";
    if (leg.kind == LegKind::Packet && !t.negotiation.empty())
      o += "Negotiation: " + t.negotiation + "\n";
    o += "\n";
  }
  return o;
}

namespace {

// The step that decided a hop: the one that dropped or held the packet; else the one that
// changed what it is (encapsulated, decapsulated, translated), the last such; else the security
// policy's verdict. "stage: result, matched".
std::string deciding_step(const Trace& t) {
  const TraceStep* decided = nullptr;
  for (const auto& s : t.steps) {
    if (s.drop != DropReason::None) return step_summary(s);
    if (s.result == Outcome::Encapsulated || s.result == Outcome::Decapsulated ||
        s.result == Outcome::Translated)
      decided = &s;
  }
  if (decided == nullptr) {
    for (const auto& s : t.steps) {
      if (s.stage == StageId::SecurityPolicy) decided = &s;
    }
  }
  return decided == nullptr ? std::string("-") : step_summary(*decided);
}

}  // namespace

// `lab trace`'s summary: a line per firewall the packet crossed (the node, where it came in and
// went out, the step that decided, what the firewall did with it), each leg's disposition.
std::string Lab::format_trace_summary(const TraceResult& t) {
  std::string o;
  for (const auto& leg : t.legs) {
    o += "== " + std::string(leg_id(leg.kind)) + " ==\n";
    for (size_t i = 0; i < leg.hops.size(); ++i) {
      const Hop& h = leg.hops[i];
      const Trace& tr = h.trace;
      const std::string action =
          tr.result.held ? std::string("held") : std::string(action_name(tr.result.action));
      const std::string out = tr.result.output.empty() ? std::string("-") : tr.result.output;
      std::string node = h.node;
      node.resize(std::max<size_t>(node.size(), 6), ' ');
      o += "  " + std::to_string(i + 1) + "  " + node + " " + h.input + " -> " + out + "  " +
           deciding_step(tr) + "  [" + action + "]";
      size_t warnings = 0;
      for (const auto& s : tr.steps) warnings += s.warnings.size();
      if (warnings != 0)
        o += "  (" + std::to_string(warnings) + " warning" + (warnings > 1 ? "s" : "") + ")";
      o += "\n";
    }
    o += "  Disposition: " + leg.disposition + "\n";
    if (leg.kind == LegKind::Packet && !t.negotiation.empty())
      o += "  Negotiation: " + t.negotiation + "\n";
  }
  o += "(lab trace ... detail: every firewall's stages, warnings and fixes)\n";
  return o;
}

// docs/lab.md's JSON (docs/schemas/lab-trace.schema.json): each hop's trace is packet-trace's.
std::string Lab::format_trace_json(const TraceResult& t) {
  using Json = nlohmann::ordered_json;
  Json legs = Json::array();
  for (const Leg& leg : t.legs) {
    Json hops = Json::array();
    for (const Hop& h : leg.hops)
      hops.push_back(Json{{"node", h.node}, {"input", h.input}, {"trace", trace_json(h.trace)}});
    legs.push_back(
        Json{{"label", leg_id(leg.kind)},
             {"hops", std::move(hops)},
             {"disposition", leg.disposition},
             {"outcome", leg_outcome_id(leg.outcome)},
             {"at", leg.at.empty() ? Json(nullptr) : Json(leg.at)},
             {"stage", leg.stage ? Json(stage_id(*leg.stage)) : Json(nullptr)},
             {"drop_reason",
              leg.drop == DropReason::None ? Json(nullptr) : Json(drop_reason_id(leg.drop))},
             {"delivered", leg.delivered}});
  }
  return json_text(Json{
      {"version", kTraceJsonVersion}, {"legs", std::move(legs)}, {"negotiation", t.negotiation}});
}

Lab::PingResult Lab::ping(const std::string& host, Ipv4 destination, int count, uint32_t size,
                          bool dont_fragment) {
  PingResult r;
  Host* h = this->host(host);
  if (h == nullptr) {
    r.text = "lab ping: no host named " + host + "\n";
    return r;
  }
  const std::string dst = to_string(destination);
  r.text = "PING " + dst + " (" + dst + ") " + std::to_string(size - 28) + "(" +
           std::to_string(size) + ") bytes of data.\n";
  std::vector<double> times;
  const uint64_t start = now_ms_;
  // Each run its own identifier, as Linux ping takes one per run: a run after a change does not
  // ride the previous run's session.
  const uint16_t kId = ping_id_++;
  for (int seq = 1; seq <= count; ++seq) {
    const uint64_t sent_at = now_ms_;
    for (auto& p : h->outgoing(
             h->echo_request(destination, kId, static_cast<uint16_t>(seq), size, dont_fragment)))
      send(host, std::move(p));
    ++r.transmitted;
    advance(1000);
    for (const auto& e : h->take_errors()) r.text += e + "\n";
    for (const auto& reply : h->take_replies()) {
      if (reply.id != kId || reply.sequence != seq) continue;
      ++r.received;
      const double ms = static_cast<double>(reply.at_ms - sent_at);
      times.push_back(ms);
      char line[160];
      std::snprintf(line, sizeof line, "%u bytes from %s: icmp_seq=%u ttl=%u time=%.1f ms\n",
                    reply.bytes, to_string(reply.from).c_str(), reply.sequence, reply.ttl, ms);
      r.text += line;
    }
  }
  const int loss = r.transmitted == 0 ? 0 : (r.transmitted - r.received) * 100 / r.transmitted;
  r.text += "\n--- " + dst + " ping statistics ---\n" + std::to_string(r.transmitted) +
            " packets transmitted, " + std::to_string(r.received) + " received, " +
            std::to_string(loss) + "% packet loss, time " + std::to_string(now_ms_ - start - 1000) +
            "ms\n";
  if (!times.empty()) {
    double sum = 0;
    double sq = 0;
    for (double t : times) {
      sum += t;
      sq += t * t;
    }
    const double avg = sum / static_cast<double>(times.size());
    const double mdev =
        std::sqrt(std::max(0.0, sq / static_cast<double>(times.size()) - avg * avg));
    char line[160];
    std::snprintf(line, sizeof line, "rtt min/avg/max/mdev = %.3f/%.3f/%.3f/%.3f ms\n",
                  *std::min_element(times.begin(), times.end()), avg,
                  *std::max_element(times.begin(), times.end()), mdev);
    r.text += line;
  }
  return r;
}

}  // namespace vfw::lab
