#include "device/packet_trace.hpp"

#include <memory>

#include "device/pcap_writer.hpp"

#include "cli/command_tree.hpp"
#include "config/services.hpp"

namespace vfw {
namespace {

std::string describe_packet(const PacketSpec& spec, const std::string& input) {
  std::string text = config::protocol_name(spec.protocol) + " ";
  if (spec.protocol == ipproto::kIcmp) {
    text += to_string(spec.src) + " -> " + to_string(spec.dst) + " type " +
            std::to_string(spec.icmp_type) + " code " + std::to_string(spec.icmp_code) + " id " +
            std::to_string(spec.src_port);
  } else {
    text += to_string(spec.src) + ":" + std::to_string(spec.src_port) + " -> " +
            to_string(spec.dst) + ":" + std::to_string(spec.dst_port);
  }
  if (spec.protocol == ipproto::kTcp) {
    std::string flags;
    if ((spec.tcp_flags & tcpflag::kSyn) != 0) flags += "SYN ";
    if ((spec.tcp_flags & tcpflag::kAck) != 0) flags += "ACK ";
    if (!flags.empty()) flags.pop_back();
    text += " [" + flags + "]";
  }
  text += ", " +
          std::to_string(spec.total_length == 0 ? build_packet(spec).size() : spec.total_length) +
          " bytes" + (spec.dont_fragment ? ", DF" : "") + ", input " + input;
  return text;
}

struct Sent {
  Action action;
  std::vector<uint8_t> bytes;  // as the pipeline left it
  std::string output;
};

Sent send(Device& device, const PacketSpec& spec, const std::string& input, bool json,
          std::ostream& out, PcapWriter* pcap) {
  Trace trace;
  trace.packet = describe_packet(spec, input);
  std::vector<uint8_t> bytes = build_packet(spec);
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
  return Sent{action, std::move(bytes), trace.result.output};
}

}  // namespace

int run_packet_trace(Device& device, const PacketTraceOptions& o, std::ostream& out,
                     std::ostream& err) {
  PacketSpec spec;
  if (auto number = config::protocol_number(o.protocol)) {
    spec.protocol = *number;
  } else if (auto n = parse_uint(o.protocol, 255)) {
    spec.protocol = static_cast<uint8_t>(*n);
  } else {
    err << "packet-trace: unknown protocol \"" << o.protocol << "\" (icmp, tcp, udp or a number)\n";
    return 2;
  }
  if (spec.protocol == 0) {
    err << "packet-trace: protocol must be icmp, tcp, udp or a number from 1 to 255\n";
    return 2;
  }
  auto src = parse_ipv4(o.source);
  auto dst = parse_ipv4(o.destination);
  if (!src || !dst) {
    err << "packet-trace: --source and --destination take IPv4 addresses\n";
    return 2;
  }
  spec.src = *src;
  spec.dst = *dst;
  const auto input = cli::normalize_interface(o.input);
  if (!input || device.snapshot().interface_index(*input) == kNoInterface) {
    err << "packet-trace: interface \"" << o.input << "\" does not exist on "
        << device.config().sysname << "\n";
    return 2;
  }
  const bool ports = spec.protocol == ipproto::kTcp || spec.protocol == ipproto::kUdp;
  if (ports && o.destination_port < 0) {
    err << "packet-trace: --destination-port is needed for tcp and udp\n";
    return 2;
  }
  if (o.source_port > 65535 || o.destination_port > 65535 || o.icmp_type > 255 || o.repeat < 1 ||
      (o.size != 0 && (o.size < 20 || o.size > 65535))) {
    err << "packet-trace: a port, ICMP type, size or repeat count is out of range\n";
    return 2;
  }
  spec.src_port = static_cast<uint16_t>(o.source_port >= 0 ? o.source_port : (ports ? 49152 : 1));
  spec.dst_port = static_cast<uint16_t>(ports ? o.destination_port : 0);
  if (spec.protocol == ipproto::kIcmp && o.icmp_type >= 0)
    spec.icmp_type = static_cast<uint8_t>(o.icmp_type);
  spec.total_length = static_cast<uint16_t>(o.size);
  spec.dont_fragment = o.dont_fragment;

  std::unique_ptr<PcapWriter> pcap;
  if (!o.pcap.empty()) {
    pcap = std::make_unique<PcapWriter>(o.pcap);
    if (!pcap->ok()) {
      err << "packet-trace: cannot write " << o.pcap << ": " << pcap->error() << "\n";
      return 2;
    }
  }
  Sent first = send(device, spec, *input, o.json, out, pcap.get());
  for (int i = 1; i < o.repeat; ++i) {
    if (!o.json) out << "\n";
    PacketSpec next = spec;
    next.ip_id = static_cast<uint16_t>(spec.ip_id + i);
    if (next.protocol == ipproto::kTcp) next.tcp_flags = tcpflag::kAck;
    send(device, next, *input, o.json, out, pcap.get());
  }
  if (o.reverse) {
    if (!o.json) out << "\n";
    if (first.action != Action::Forward) {
      err << "packet-trace: the first packet was not forwarded, so there is no reply to send\n";
      return 1;
    }
    PacketInfo info;
    parse_ipv4(first.bytes, info);
    PacketSpec reply = spec;
    reply.src = info.dst;
    reply.dst = info.src;
    reply.src_port = ports ? info.dst_port : info.src_port;
    reply.dst_port = ports ? info.src_port : 0;
    reply.ip_id = 0x4000;
    if (reply.protocol == ipproto::kIcmp && spec.icmp_type == 8) reply.icmp_type = 0;
    if (reply.protocol == ipproto::kTcp) reply.tcp_flags = tcpflag::kSyn | tcpflag::kAck;
    send(device, reply, first.output, o.json, out, pcap.get());
  }
  return 0;
}

}  // namespace vfw
