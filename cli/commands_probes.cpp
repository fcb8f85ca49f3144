// ping and tracert from the firewall itself: probes (ICMP echo requests, UDP datagrams) that the
// device sends through its own pipeline (from the local zone: the security policy, NAT, the
// security ACL and IPSec apply as on the device, so `ping -a 10.1.1.1 10.2.1.2` on the seed's FW1
// brings the tunnel up), with the device's output (docs/research/daily-displays.txt, sections 1
// and 2). Each goes on over time: one probe, its answer or its timeout, the next; whoever runs
// the session moves the time on.
#include <algorithm>
#include <memory>

#include "cli/command_helpers.hpp"
#include "cli/display_formats.hpp"
#include "device/device.hpp"
#include "packet/packet.hpp"

namespace vfw::cli {
namespace {

struct PingRun {
  Ipv4 source, destination;
  uint32_t count = 5;
  uint32_t size = 56;  // data bytes after the ICMP header
  bool dont_fragment = false;
  uint32_t timeout_ms = 2000;
  uint16_t id = 0;
  uint32_t sent = 0, received = 0;
  bool waiting = false;
  uint64_t sent_at = 0;
  std::vector<uint64_t> times;
};

// An echo request of the run's size from its source, with the device's TTL of 255.
std::vector<uint8_t> echo_request(const PingRun& p, uint16_t seq) {
  PacketSpec spec;
  spec.protocol = ipproto::kIcmp;
  spec.src = p.source;
  spec.dst = p.destination;
  spec.src_port = p.id;
  spec.icmp_sequence = seq;
  spec.total_length = static_cast<uint16_t>(20 + 8 + p.size);
  spec.ttl = 255;
  spec.dont_fragment = p.dont_fragment;
  spec.ip_id = static_cast<uint16_t>(p.id + seq);
  return build_packet(spec);
}

std::string statistics(const PingRun& p) {
  const std::string dst = to_string(p.destination);
  std::string o = "\n  --- " + dst + " ping statistics ---\n";
  o += "    " + std::to_string(p.sent) + " packet(s) transmitted\n";
  o += "    " + std::to_string(p.received) + " packet(s) received\n";
  const double loss = p.sent == 0 ? 0.0 : 100.0 * (p.sent - p.received) / p.sent;
  o += format("    %.2f%% packet loss\n", loss);
  if (!p.times.empty()) {
    const uint64_t lo = *std::min_element(p.times.begin(), p.times.end());
    const uint64_t hi = *std::max_element(p.times.begin(), p.times.end());
    uint64_t sum = 0;
    for (uint64_t t : p.times) sum += t;
    o += format(
        "    round-trip min/avg/max = %llu/%llu/%llu ms\n", static_cast<unsigned long long>(lo),
        static_cast<unsigned long long>(sum / p.times.size()), static_cast<unsigned long long>(hi));
  }
  return o + "\n";
}

// One step of the run at the device clock's time; true when it is over.
bool ping_step(Device& d, PingRun& p, CommandContext& c) {
  if (c.interrupted) {  // Ctrl+C: the statistics of what was sent
    c.out() += statistics(p);
    d.probes().close(p.id);
    return true;
  }
  const uint64_t now = d.now_ms();
  if (p.waiting) {
    for (const ProbeAnswer& a : d.probes().take(p.id)) {
      if (a.icmp_type != 0 || a.seq != p.sent || !p.waiting) continue;
      // The device prints whole milliseconds, at least 1.
      const uint64_t rtt = std::max<uint64_t>(1, a.at_ms - p.sent_at);
      c.out() += "    Reply from " + to_string(a.from) + ": bytes=" + std::to_string(a.bytes) +
                 " Sequence=" + std::to_string(a.seq) + " ttl=" + std::to_string(a.ttl) +
                 " time=" + std::to_string(rtt) + " ms\n";
      p.times.push_back(rtt);
      ++p.received;
      p.waiting = false;
    }
    if (p.waiting && now >= p.sent_at + p.timeout_ms) {
      c.out() += "    Request time out\n";
      p.waiting = false;
    }
    if (p.waiting) return false;
  }
  if (p.sent == p.count) {
    c.out() += statistics(p);
    d.probes().close(p.id);
    return true;
  }
  ++p.sent;
  p.sent_at = now;
  p.waiting = true;
  std::vector<uint8_t> packet = echo_request(p, static_cast<uint16_t>(p.sent));
  d.originate(packet);
  return false;
}

// The source of the device's own probes: -a (one of its addresses), else the address of the
// interface the probe leaves by; an error when -a names an address the device does not have.
Result probe_source(const Device& d, const Args& a, Ipv4 destination, Ipv4& source) {
  const Snapshot& snap = d.snapshot();
  if (a.has("source")) {
    source = a.ip("source");
    const bool own =
        std::any_of(snap.interfaces.begin(), snap.interfaces.end(),
                    [&](const auto& i) { return i.has_address && i.address == source; });
    if (!own)
      return fail("Error: The source address " + to_string(source) +
                  " is not an address of this device's interfaces.");
    return kOk;
  }
  const Route* r = snap.fib.lookup(destination);
  if (r != nullptr && r->kind != RouteKind::Blackhole && r->out_if < snap.interfaces.size() &&
      snap.interfaces[r->out_if].has_address)
    source = r->kind == RouteKind::Local ? destination : snap.interfaces[r->out_if].address;
  return kOk;
}

Result ping(CommandContext& c, const Args& a) {
  Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  auto run = std::make_shared<PingRun>();
  run->destination = a.ip("host");
  if (a.has("count")) run->count = a.uint("count");
  if (a.has("size")) run->size = a.uint("size");
  if (a.has("timeout")) run->timeout_ms = a.uint("timeout");
  run->dont_fragment = a.has("-f");
  if (auto err = probe_source(*d, a, run->destination, run->source); !err) return err;
  run->id = d->probes().open();
  c.out() += "  PING " + to_string(run->destination) + ": " + std::to_string(run->size) +
             "  data bytes, press CTRL_C to break\n";
  c.start([d, run](CommandContext& ctx) { return ping_step(*d, *run, ctx); });
  return kOk;
}

struct TracertRun {
  Ipv4 source, destination;
  uint32_t first_ttl = 1, max_ttl = 30, probes = 3, timeout_ms = 5000;
  uint16_t port = 33434;
  uint16_t id = 0;
  uint32_t ttl = 0;    // the hop being probed
  uint32_t probe = 0;  // probes sent at this hop
  bool waiting = false;
  uint64_t sent_at = 0;
  uint16_t dport = 0;    // the waiting probe's destination port
  std::string line;      // the hop's line so far
  Ipv4 last_from;        // who answered the hop's last answered probe
  bool reached = false;  // the destination answered at this hop
};

// A probe of 40 bytes (as the device's header says): UDP from the run's identifier to a port
// that grows with every probe, with the hop's TTL.
std::vector<uint8_t> udp_probe(const TracertRun& t) {
  PacketSpec spec;
  spec.protocol = ipproto::kUdp;
  spec.src = t.source;
  spec.dst = t.destination;
  spec.src_port = t.id;
  spec.dst_port = t.dport;
  spec.total_length = 40;
  spec.ttl = static_cast<uint8_t>(t.ttl);
  spec.ip_id = static_cast<uint16_t>(t.id + t.dport);
  return build_packet(spec);
}

bool tracert_step(Device& d, TracertRun& t, CommandContext& c) {
  if (c.interrupted) {  // Ctrl+C: the hop's line as far as it went
    if (t.ttl != 0) c.out() += t.line + "\n";
    d.probes().close(t.id);
    return true;
  }
  const uint64_t now = d.now_ms();
  if (t.waiting) {
    for (const ProbeAnswer& a : d.probes().take(t.id)) {
      if (!t.waiting || a.seq != t.dport) continue;
      const bool arrived = a.icmp_type == 3;  // the destination: port unreachable
      if (a.icmp_type != 11 && !arrived) continue;
      const uint64_t rtt = std::max<uint64_t>(1, a.at_ms - t.sent_at);
      // A responder is named before its time when it differs from the one before on the line.
      if (t.probe == 1 || a.from != t.last_from) t.line += to_string(a.from) + " ";
      t.line += std::to_string(rtt) + " ms ";
      if (t.probe < t.probes) t.line += " ";
      t.last_from = a.from;
      t.reached = t.reached || arrived;
      t.waiting = false;
    }
    if (t.waiting && now >= t.sent_at + t.timeout_ms) {
      t.line += "* ";
      t.waiting = false;
    }
    if (t.waiting) return false;
  }
  if (t.ttl != 0 && t.probe == t.probes) {
    c.out() += t.line + "\n";
    if (t.reached || t.ttl >= t.max_ttl) {
      d.probes().close(t.id);
      return true;
    }
    t.probe = 0;
  }
  if (t.probe == 0) {
    t.ttl = t.ttl == 0 ? t.first_ttl : t.ttl + 1;
    t.line = (t.ttl < 10 ? " " : "") + std::to_string(t.ttl) + " ";
    t.last_from = Ipv4{};
  }
  ++t.probe;
  t.dport = static_cast<uint16_t>(t.port + (t.ttl - 1) * t.probes + t.probe - 1);
  t.sent_at = now;
  t.waiting = true;
  std::vector<uint8_t> packet = udp_probe(t);
  d.originate(packet);
  return false;
}

Result tracert(CommandContext& c, const Args& a) {
  Device* d = c.device();
  if (d == nullptr) return fail("Error: No device is running.");
  auto run = std::make_shared<TracertRun>();
  run->destination = a.ip("host");
  if (auto err = probe_source(*d, a, run->destination, run->source); !err) return err;
  if (a.has("first")) run->first_ttl = a.uint("first");
  if (a.has("max")) run->max_ttl = a.uint("max");
  if (a.has("port")) run->port = static_cast<uint16_t>(a.uint("port"));
  if (a.has("probes")) run->probes = a.uint("probes");
  if (a.has("wait")) run->timeout_ms = a.uint("wait");
  if (run->first_ttl > run->max_ttl)
    return fail("Error: The first TTL must not be larger than the maximum TTL.");
  run->id = d->probes().open();
  const std::string host = to_string(run->destination);
  c.out() += " traceroute to  " + host + "(" + host +
             "), max hops: " + std::to_string(run->max_ttl) +
             " ,packet length: 40,press CTRL_C to break \n";
  c.start([d, run](CommandContext& ctx) { return tracert_step(*d, *run, ctx); });
  return kOk;
}

}  // namespace

void register_probe_commands(CommandEngine& e) {
  // The options in any order, each at most once in practice (as typed on the device; a repeated
  // one takes its first value), then the host.
  const std::string option =
      "[ ( -a {ip:source} | -c {uint:count:1-4294967295} | -s {uint:size:20-9600} | -f | -t "
      "{uint:timeout:0-65535} ) ]";
  std::string pattern = "ping";
  for (int i = 0; i < 5; ++i) pattern += " " + option;
  e.tree(View::Global).add(pattern + " {ip:host}", ping, CommandKind::Operational);
  const std::string tracert_option =
      "[ ( -a {ip:source} | -f {uint:first:1-255} | -m {uint:max:1-255} | -p "
      "{uint:port:1-65535} | -q {uint:probes:1-65535} | -w {uint:wait:1-65535} ) ]";
  pattern = "tracert";
  for (int i = 0; i < 3; ++i) pattern += " " + tracert_option;
  e.tree(View::Global).add(pattern + " {ip:host}", tracert, CommandKind::Operational);
}

}  // namespace vfw::cli
