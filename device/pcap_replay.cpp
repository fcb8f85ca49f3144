#include "device/pcap_replay.hpp"

#include <map>
#include <vector>

#include "config/interface_name.hpp"
#include "config/services.hpp"
#include "device/own_traffic.hpp"
#include "device/pcap_reader.hpp"
#include "pipeline/trace.hpp"

namespace vfw {
namespace {

// The interface a packet from source arrives on when the capture does not say: the one whose
// network holds it, else the one the route back to it leaves by.
std::optional<uint16_t> arrival_interface(const Device& d, Ipv4 source) {
  const Snapshot& snap = d.snapshot();
  for (size_t i = 0; i < snap.interfaces.size(); ++i) {
    const InterfaceState& st = snap.interfaces[i];
    if (st.has_address && Prefix::make(st.address, st.prefix_length).contains(source))
      return static_cast<uint16_t>(i);
  }
  const Route* r = snap.fib.lookup(source);
  if (r == nullptr || r->kind == RouteKind::Local || r->kind == RouteKind::Blackhole)
    return std::nullopt;
  return r->out_if;
}

std::string flow_of(const PacketInfo& info) {
  std::string t = config::protocol_name(info.protocol) + " " + to_string(info.src);
  const bool ports =
      info.has_l4 && (info.protocol == ipproto::kTcp || info.protocol == ipproto::kUdp);
  if (ports) t += ":" + std::to_string(info.src_port);
  t += " -> " + to_string(info.dst);
  if (ports) t += ":" + std::to_string(info.dst_port);
  if (info.protocol == ipproto::kIcmp && info.has_l4) t += " id " + std::to_string(info.src_port);
  return t;
}

struct FlowSummary {
  size_t first_packet = 0;
  size_t packets = 0;
  std::string last_action;
  std::map<std::string, size_t> drops;  // reason id -> packets
  size_t held = 0;                      // kept while IKE negotiates (to leave once it is up)
};

}  // namespace

Status run_pcap_replay(Device& device, const ReplayOptions& o, std::ostream& out,
                       std::ostream& err) {
  auto reader = PcapReader::open(o.file);
  if (!reader) {
    // libpcap's message names the file already when it could not open it.
    const std::string& why = reader.error().message;
    return fail(why.rfind(o.file + ":", 0) == 0 ? why : o.file + ": " + why, Errc::InvalidArgument);
  }
  std::optional<uint16_t> fixed_input;
  if (!o.input.empty()) {
    const auto name = config::normalize_interface(o.input);
    const uint16_t index = name ? device.snapshot().interface_index(*name) : kNoInterface;
    if (index == kNoInterface)
      return fail("interface \"" + o.input + "\" does not exist on " + device.config().sysname,
                  Errc::InvalidArgument);
    fixed_input = index;
  }
  std::map<std::string, FlowSummary> flows;
  std::vector<std::string> order;  // flows as they first appeared
  size_t traced = 0;
  size_t skipped = 0;
  const uint32_t start = device.now();
  std::optional<uint32_t> first_seconds;
  bool cut_short = false;
  while (auto p = (*reader)->next()) {
    if (o.max_packets != 0 && traced + skipped == o.max_packets) {
      cut_short = true;
      break;
    }
    auto skip = [&](const std::string& why) {
      ++skipped;
      (o.json ? err : out) << "packet " << p->number << ": not traced: " << why << "\n";
    };
    if (p->ip.empty()) {
      skip(p->skipped);
      continue;
    }
    PacketInfo info;
    if (const DropReason r = parse_ipv4(p->ip, info); r != DropReason::None) {
      skip("not a valid IPv4 packet (" + std::string(drop_reason_id(r)) + ")");
      continue;
    }
    const auto input = fixed_input ? fixed_input : arrival_interface(device, info.src);
    if (!input) {
      skip("no interface leads back to " + to_string(info.src) + " (give --input)");
      continue;
    }
    // The device's clock follows the capture's: sessions age, IKE retransmits, as they did.
    if (!first_seconds) first_seconds = p->seconds;
    const uint32_t elapsed = p->seconds >= *first_seconds ? p->seconds - *first_seconds : 0;
    if (start + elapsed > device.now()) device.set_time(start + elapsed);

    const std::string name = device.snapshot().interfaces[*input].name;
    Trace trace;
    trace.packet = "packet " + std::to_string(p->number) + ": " + flow_of(info) + ", " +
                   std::to_string(info.total_length) + " bytes, input " + name;
    std::vector<uint8_t> bytes = std::move(p->ip);
    std::vector<EmittedPacket> emitted;
    const Action a = device.receive(bytes, name, &trace, &emitted);
    if (a == Action::ToDevice) (void)deliver_to_device(device, bytes);
    ++traced;
    if (!o.json && traced > 1) out << "\n";
    out << (o.json ? format_trace_json(trace) : format_trace_text(trace));

    const std::string key = flow_of(info);
    FlowSummary& f = flows[key];
    if (f.packets == 0) {
      f.first_packet = p->number;
      order.push_back(key);
    }
    ++f.packets;
    f.last_action = trace.result.held ? std::string("held") : std::string(action_name(a));
    if (trace.result.held) {
      ++f.held;
    } else if (a == Action::Drop) {
      ++f.drops[std::string(drop_reason_id(trace.result.drop))];
    }
  }
  if (!(*reader)->error().empty())
    err << o.file << ": " << (*reader)->error() << " (the replay stops there)\n";
  if (cut_short) {
    err << o.file << ": the first " << o.max_packets
        << " packets replayed, the rest not (vfw packet-trace --replay takes them all)\n";
  }
  if (!o.json) {
    out << "\nReplayed " << traced << " packet" << (traced == 1 ? "" : "s") << " of " << o.file;
    if (skipped != 0) out << ", " << skipped << " not traced";
    out << "; by flow (as they arrived):\n";
    for (const auto& key : order) {
      const FlowSummary& f = flows[key];
      out << "  " << key << ": " << f.packets << " packet" << (f.packets == 1 ? "" : "s")
          << " from packet " << f.first_packet << ", last " << f.last_action;
      if (f.held != 0) out << "; " << f.held << " held (ipsec-sa-negotiating)";
      for (const auto& [reason, n] : f.drops) out << "; " << n << " dropped (" << reason << ")";
      out << "\n";
    }
  }
  return {};
}

}  // namespace vfw
