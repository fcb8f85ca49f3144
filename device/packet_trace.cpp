#include "device/packet_trace.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <memory>
#include <vector>

#include "config/interface_name.hpp"
#include "device/pcap_replay.hpp"
#include "device/pcap_writer.hpp"

#include "config/services.hpp"
#include "ipsec/ah.hpp"
#include "ipsec/esp.hpp"

namespace vfw {
namespace {

// The packet as it arrives, in a line: its flow as the trace writes any packet (headers_line),
// its TCP flags, length, DF and where it comes in.
std::string describe_packet(std::span<const uint8_t> ip, const std::string& input) {
  const TraceHeaders h = trace_headers(ip);
  std::string text = headers_line(h);
  if (h.info.protocol == ipproto::kTcp) {
    std::string flags;
    if ((h.info.tcp_flags & tcpflag::kSyn) != 0) flags += "SYN ";
    if ((h.info.tcp_flags & tcpflag::kAck) != 0) flags += "ACK ";
    if (!flags.empty()) flags.pop_back();
    text += " [" + flags + "]";
  }
  return text + ", " + std::to_string(ip.size()) + " bytes" + (h.info.dont_fragment ? ", DF" : "") +
         ", input " + input;
}

struct Sent {
  Action action;
  std::vector<uint8_t> bytes;  // as the pipeline left it
  std::string output;
  bool encapsulated = false;  // it left in an IPSec tunnel
};

Sent send_bytes(Device& device, std::vector<uint8_t> bytes, std::string description,
                const std::string& input, bool json, std::ostream& out, PcapWriter* pcap) {
  Trace trace;
  trace.packet = std::move(description);
  std::vector<EmittedPacket> emitted;
  const Action action = device.receive(bytes, input, &trace, &emitted);
  out << (json ? format_trace_json(trace) : format_trace_text(trace));
  if (pcap != nullptr) {
    // What leaves: the fragments when the packet was fragmented, else the packet; ICMP errors too.
    bool fragmented = false;
    for (const auto& e : emitted) {
      const bool fragment = e.bytes.size() >= 20 && (load16(&e.bytes[6]) & 0x3fff) != 0;
      fragmented = fragmented || fragment;
      pcap->write(e.bytes, device.now());
    }
    if (action == Action::Forward && !fragmented) pcap->write(bytes, device.now());
  }
  bool encapsulated = false;
  for (const auto& step : trace.steps) {
    encapsulated =
        encapsulated || (step.stage == StageId::Ipsec && step.result == Outcome::Encapsulated);
  }
  return Sent{action, std::move(bytes), trace.result.output, encapsulated};
}

Sent send(Device& device, const PacketSpec& spec, const std::string& input, bool json,
          std::ostream& out, PcapWriter* pcap) {
  std::vector<uint8_t> bytes = build_packet(spec);
  std::string description = describe_packet(bytes, input);
  return send_bytes(device, std::move(bytes), std::move(description), input, json, out, pcap);
}

// The reply to a flow that left in a tunnel, as the peer sends it: the inner reply (to the
// flow as the device translated it) encapsulated under the SAs the device holds for the inbound
// direction of that tunnel, ESP first and then AH, keyed from the peer's side.
Status encapsulate_as_peer(Device& device, const std::vector<uint8_t>& outer,
                           std::vector<uint8_t>& bytes) {
  PacketInfo info;
  if (parse_ipv4(outer, info) != DropReason::None) return fail("the packet that left is not IPv4");
  const auto& sas = device.runtime().sad.all();
  const ipsec::Sa* out = nullptr;
  for (const auto& sa : sas) {
    if (!sa->inbound && sa->local == info.src && sa->remote == info.dst) out = sa.get();
  }
  if (out == nullptr) return fail("no outbound SA to " + to_string(info.dst));
  std::vector<const ipsec::Sa*> inbound;
  for (const auto& sa : sas) {
    if (sa->inbound && sa->policy_index == out->policy_index) inbound.push_back(sa.get());
  }
  if (inbound.empty()) return fail("no inbound SA for policy " + out->policy);
  std::stable_sort(inbound.begin(), inbound.end(), [](const auto* a, const auto* b) {
    return a->protocol == ipproto::kEsp && b->protocol != ipproto::kEsp;
  });
  constexpr size_t kRoom = 256;
  auto length = static_cast<uint32_t>(bytes.size());
  bytes.resize(bytes.size() + kRoom);
  for (const ipsec::Sa* sa : inbound) {
    Expected<std::unique_ptr<ipsec::Sa>> made = ipsec::peer_of(*sa);
    if (!made) return Unexpected(std::move(made).error());
    const std::unique_ptr<ipsec::Sa>& peer = *made;
    const DropReason r = sa->protocol == ipproto::kAh
                             ? ipsec::ah_encapsulate(*peer, bytes.data(), length,
                                                     static_cast<uint32_t>(bytes.size()), 0x4000)
                             : ipsec::esp_encapsulate(*peer, bytes.data(), length,
                                                      static_cast<uint32_t>(bytes.size()), 0x4000);
    if (r != DropReason::None) return fail("the reply could not be encapsulated");
  }
  bytes.resize(length);
  return {};
}

// A request that is not well formed: vfw packet-trace exits 2 for it, 1 for a trace that failed.
Unexpected<Error> bad(std::string message) {
  return fail(std::move(message), Errc::InvalidArgument);
}

// One flow: its packet (repeated), and its reply with --reverse.
Status trace_flow(Device& device, const PacketTraceOptions& o, std::ostream& out,
                  PcapWriter* pcap) {
  if (o.input.empty() || o.protocol.empty() || o.source.empty() || o.destination.empty()) {
    return bad("--input, --protocol, --source and --destination are needed (or --flows FILE)");
  }
  PacketSpec spec;
  if (auto number = config::protocol_number(o.protocol)) {
    spec.protocol = *number;
  } else if (auto n = parse_uint(o.protocol, 255)) {
    spec.protocol = static_cast<uint8_t>(*n);
  } else {
    return bad("unknown protocol \"" + o.protocol + "\" (icmp, tcp, udp or a number)");
  }
  if (spec.protocol == 0) {
    return bad("protocol must be icmp, tcp, udp or a number from 1 to 255");
  }
  auto src = parse_ipv4(o.source);
  auto dst = parse_ipv4(o.destination);
  if (!src) return bad("--source: \"" + o.source + "\" is not an IPv4 address");
  if (!dst) return bad("--destination: \"" + o.destination + "\" is not an IPv4 address");
  spec.src = *src;
  spec.dst = *dst;
  const auto input = config::normalize_interface(o.input);
  if (!input || device.snapshot().interface_index(*input) == kNoInterface) {
    return bad("interface \"" + o.input + "\" does not exist on " + device.config().sysname);
  }
  const bool ports = spec.protocol == ipproto::kTcp || spec.protocol == ipproto::kUdp;
  if (ports && o.destination_port < 0) {
    return bad("--destination-port is needed for tcp and udp");
  }
  // Every argument in range, none silently replaced (-1 is "not given").
  if (o.source_port < -1 || o.source_port > 65535 || o.destination_port < -1 ||
      o.destination_port > 65535) {
    return bad("a port is a number from 0 to 65535");
  }
  if (o.icmp_type < -1 || o.icmp_type > 255) {
    return bad("--icmp-type is a number from 0 to 255");
  }
  // An option the packet has no field for is refused, not ignored.
  const bool icmp = spec.protocol == ipproto::kIcmp;
  if (!ports && o.destination_port >= 0)
    return bad("--destination-port is for tcp and udp, not " + o.protocol);
  if (!ports && !icmp && o.source_port >= 0)
    return bad("--source-port is for tcp and udp (icmp: the identifier), not " + o.protocol);
  if (!icmp && o.icmp_type >= 0) return bad("--icmp-type is for icmp, not " + o.protocol);
  if (o.repeat < 1 || o.repeat > kMaxRepeat) {
    return bad("--repeat is a number from 1 to " + std::to_string(kMaxRepeat));
  }
  // The smallest packet of the protocol: the IP header and the transport header.
  const int smallest =
      20 + (spec.protocol == ipproto::kTcp                                      ? 20
            : spec.protocol == ipproto::kUdp || spec.protocol == ipproto::kIcmp ? 8
                                                                                : 0);
  if (o.size != -1 && (o.size < smallest || o.size > 65535)) {
    return bad("--size is the IP total length, from " + std::to_string(smallest) +
               " (the smallest packet of this protocol) to 65535");
  }
  spec.src_port = static_cast<uint16_t>(o.source_port >= 0 ? o.source_port : (ports ? 49152 : 1));
  spec.dst_port = static_cast<uint16_t>(ports ? o.destination_port : 0);
  if (spec.protocol == ipproto::kIcmp && o.icmp_type >= 0)
    spec.icmp_type = static_cast<uint8_t>(o.icmp_type);
  spec.total_length = static_cast<uint16_t>(o.size < 0 ? 0 : o.size);
  spec.dont_fragment = o.dont_fragment;

  Sent first = send(device, spec, *input, o.json, out, pcap);
  for (int i = 1; i < o.repeat; ++i) {
    if (!o.json) out << "\n";
    PacketSpec next = spec;
    next.ip_id = static_cast<uint16_t>(spec.ip_id + i);
    if (next.protocol == ipproto::kTcp) next.tcp_flags = tcpflag::kAck;
    send(device, next, *input, o.json, out, pcap);
  }
  if (o.reverse) {
    if (!o.json) out << "\n";
    if (first.action != Action::Forward) {
      // The trace was traced: what the device did with the packet is its answer (exit 0).
      if (!o.json)
        out << "No reply traced: the first packet was not forwarded, so nothing answers it.\n";
      return {};
    }
    // The reply answers the flow as the device translated it: the session's reply key (what left
    // in plain text, swapped, when there is no session to ask).
    PacketSpec reply = spec;
    PacketInfo sent_info;
    parse_ipv4(build_packet(spec), sent_info);
    SessionHit hit;
    if (device.runtime().sessions.find(flow_key(sent_info), hit)) {
      const Session& s = device.runtime().sessions.at(hit.index);
      const FlowKey& back = hit.reply ? s.fwd : s.rev;
      reply.src = Ipv4{back.src};
      reply.dst = Ipv4{back.dst};
      reply.src_port = back.sport;
      reply.dst_port = ports ? back.dport : 0;
    } else {
      PacketInfo info;
      parse_ipv4(first.bytes, info);
      reply.src = info.dst;
      reply.dst = info.src;
      reply.src_port = ports ? info.dst_port : info.src_port;
      reply.dst_port = ports ? info.src_port : 0;
    }
    reply.ip_id = 0x4000;
    if (reply.protocol == ipproto::kIcmp && spec.icmp_type == 8) reply.icmp_type = 0;
    if (reply.protocol == ipproto::kTcp) reply.tcp_flags = tcpflag::kSyn | tcpflag::kAck;
    std::vector<uint8_t> bytes = build_packet(reply);
    std::string description = describe_packet(bytes, first.output);
    if (first.encapsulated) {
      if (const Status made = encapsulate_as_peer(device, first.bytes, bytes); !made) {
        return fail("cannot build the peer's reply: " + made.error().message);
      }
      description += ", encapsulated by the peer";
    }
    send_bytes(device, std::move(bytes), std::move(description), first.output, o.json, out, pcap);
  }
  return {};
}

// A flow file's lines, read whole before anything is traced; at most this many bytes a line, and
// this many flows.
constexpr size_t kMaxFlowLine = 1024;
constexpr size_t kMaxFlows = 100000;

}  // namespace

Status parse_flow_line(std::string_view line, PacketTraceOptions& flow) {
  std::vector<std::string> words;
  for (size_t i = 0; i < line.size();) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t end = i;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t' && line[end] != '\r') ++end;
    if (end > i) {
      // --input=g0/0/1, as the command line takes it too.
      const std::string_view word = line.substr(i, end - i);
      const size_t eq = word.find('=');
      if (word.rfind("--", 0) == 0 && eq != std::string_view::npos) {
        words.emplace_back(word.substr(0, eq));
        words.emplace_back(word.substr(eq + 1));
      } else {
        words.emplace_back(word);
      }
    }
    i = end;
  }
  auto number = [&](const std::string& option, const std::string& word, int low, int high,
                    int& into) -> Status {
    const auto n = parse_uint(word, static_cast<uint32_t>(high));
    if (!n || static_cast<int>(*n) < low) {
      return fail(option + " takes a number from " + std::to_string(low) + " to " +
                  std::to_string(high) + ", not \"" + word + "\"");
    }
    into = static_cast<int>(*n);
    return {};
  };
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& option = words[i];
    if (option == "--df") {
      flow.dont_fragment = true;
      continue;
    }
    if (option == "--reverse") {
      flow.reverse = true;
      continue;
    }
    const bool known = option == "--input" || option == "--protocol" || option == "--source" ||
                       option == "--destination" || option == "--source-port" ||
                       option == "--destination-port" || option == "--icmp-type" ||
                       option == "--size" || option == "--repeat";
    if (!known) {
      return fail("unknown option \"" + option +
                  "\" (a flow takes --input, --protocol, --source, --destination, --source-port, "
                  "--destination-port, --icmp-type, --size, --df, --reverse, --repeat)");
    }
    if (i + 1 == words.size()) return fail(option + " needs a value");
    const std::string& value = words[++i];
    if (option == "--input") {
      flow.input = value;
    } else if (option == "--protocol") {
      flow.protocol = value;
    } else if (option == "--source") {
      flow.source = value;
    } else if (option == "--destination") {
      flow.destination = value;
    } else {
      Status read;
      if (option == "--source-port") {
        read = number(option, value, 0, 65535, flow.source_port);
      } else if (option == "--destination-port") {
        read = number(option, value, 0, 65535, flow.destination_port);
      } else if (option == "--icmp-type") {
        read = number(option, value, 0, 255, flow.icmp_type);
      } else if (option == "--size") {
        read = number(option, value, 1, 65535, flow.size);
      } else {
        read = number(option, value, 1, kMaxRepeat, flow.repeat);
      }
      if (!read) return read;
    }
  }
  return {};
}

Status check_replay_options(const PacketTraceOptions& o) {
  if (!o.protocol.empty() || !o.source.empty() || !o.destination.empty() || !o.flows.empty() ||
      o.source_port >= 0 || o.destination_port >= 0 || o.icmp_type >= 0 || o.size >= 0 ||
      o.dont_fragment || o.reverse || o.repeat != 1 || !o.pcap.empty())
    return bad(
        "--replay traces the capture's packets as they are: only --input and --json go with it");
  return {};
}

Status run_packet_trace(Device& device, const PacketTraceOptions& o, std::ostream& out) {
  if (!o.replay.empty()) {
    if (Status fits = check_replay_options(o); !fits) return fits;
    // The frames not traced are reported in the text (JSON callers pass their own stream).
    return run_pcap_replay(device, {o.replay, o.input, o.json, 0}, out, out);
  }
  // A flow file is read and checked whole first: a mistake on line 900 is reported before the
  // first packet runs, not after 899 traces. Lines and their number are bounded, so that no file
  // (/dev/zero included) takes more than a few megabytes.
  std::vector<std::pair<size_t, PacketTraceOptions>> flows;  // line number, flow
  if (!o.flows.empty()) {
    std::ifstream file(o.flows, std::ios::binary);
    if (!file) {
      return bad("cannot read " + o.flows);
    }
    std::array<char, kMaxFlowLine + 1> buffer{};  // the line and its NUL
    for (size_t number = 1; file.getline(buffer.data(), buffer.size()) || file.gcount() > 0;
         ++number) {
      if (file.fail() && !file.eof()) {
        return bad(o.flows + " line " + std::to_string(number) + ": longer than " +
                   std::to_string(kMaxFlowLine) + " characters");
      }
      const std::string_view line(buffer.data());
      const size_t first = line.find_first_not_of(" \t\r");
      if (first == std::string_view::npos || line[first] == '#') continue;
      if (flows.size() == kMaxFlows) {
        return bad(o.flows + ": more than " + std::to_string(kMaxFlows) + " flows");
      }
      PacketTraceOptions flow;
      flow.json = o.json;
      if (const Status read = parse_flow_line(line, flow); !read) {
        return bad(o.flows + " line " + std::to_string(number) + ": " + read.error().message);
      }
      flows.emplace_back(number, std::move(flow));
    }
    if (file.bad()) {
      return bad("cannot read " + o.flows);
    }
  } else {
    flows.emplace_back(0, o);
  }
  std::unique_ptr<PcapWriter> pcap;
  if (!o.pcap.empty()) {
    auto opened = PcapWriter::open(o.pcap);
    if (!opened) {
      return bad("cannot write " + o.pcap + ": " + opened.error().message);
    }
    pcap = std::move(*opened);
  }
  // The flows run one after the other through the one device, as packets through a real one:
  // what the first made (sessions, NAT ports) is there for the next. A flow that fails does not
  // stop the others: the error has a line for each, and is a bad argument if any was.
  Error failed;
  for (size_t i = 0; i < flows.size(); ++i) {
    if (i > 0 && !o.json) out << "\n";
    const auto& [line, flow] = flows[i];
    Status traced = trace_flow(device, flow, out, pcap.get());
    if (traced) continue;
    if (!failed.message.empty()) failed.message += "\n";
    failed.message += traced.error().message;
    if (!o.flows.empty()) {
      failed.message +=
          "\n" + o.flows + " line " + std::to_string(line) + ": that flow was not traced";
    }
    if (traced.error().code == Errc::InvalidArgument) failed.code = Errc::InvalidArgument;
  }
  if (!failed.message.empty()) return Unexpected(std::move(failed));
  return {};
}

}  // namespace vfw
