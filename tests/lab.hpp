// Test helpers: a device loaded from an example configuration, and packets sent into it.
#pragma once

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/config_loader.hpp"
#include "device/device.hpp"

namespace vfw::test {

inline config::Config load_example(const std::string& name) {
  cli::LoadResult r = cli::load_config_file(std::string(VFW_SOURCE_DIR) + "/examples/" + name);
  for (const auto& e : r.errors) FAIL(e.format());
  return r.config;
}

inline std::string load_example_text(const std::string& name) {
  std::ifstream in(std::string(VFW_SOURCE_DIR) + "/examples/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline config::Config load_text(const std::string& text) {
  cli::LoadResult r = cli::load_config_text(text, "test.cfg");
  for (const auto& e : r.errors) FAIL(e.format());
  return r.config;
}

struct Sent {
  Action action = Action::Drop;
  std::vector<uint8_t> bytes;
  PacketInfo after;  // the packet as it left (parsed), when forwarded
  Trace trace;
  std::vector<EmittedPacket> emitted;
  DropReason drop() const { return trace.result.drop; }
  const TraceStep* step(StageId stage) const {
    for (const auto& s : trace.steps) {
      if (s.stage == stage) return &s;
    }
    return nullptr;
  }
};

inline PacketSpec icmp(const char* src, const char* dst, uint16_t id = 1) {
  PacketSpec s;
  s.src = *parse_ipv4(src);
  s.dst = *parse_ipv4(dst);
  s.src_port = id;
  return s;
}

inline PacketSpec tcp(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                      uint8_t flags = tcpflag::kSyn) {
  PacketSpec s;
  s.protocol = ipproto::kTcp;
  s.src = *parse_ipv4(src);
  s.dst = *parse_ipv4(dst);
  s.src_port = sport;
  s.dst_port = dport;
  s.tcp_flags = flags;
  return s;
}

inline PacketSpec udp(const char* src, uint16_t sport, const char* dst, uint16_t dport) {
  PacketSpec s = tcp(src, sport, dst, dport);
  s.protocol = ipproto::kUdp;
  return s;
}

inline Sent send(Device& d, const PacketSpec& spec, const std::string& iface) {
  Sent out;
  out.bytes = build_packet(spec);
  out.action = d.receive(out.bytes, iface, &out.trace, &out.emitted);
  if (out.action == Action::Forward) {
    REQUIRE(parse_ipv4(out.bytes, out.after) == DropReason::None);  // checksums still valid
  }
  return out;
}

inline Sent send_bytes(Device& d, std::vector<uint8_t> bytes, const std::string& iface) {
  Sent out;
  out.bytes = std::move(bytes);
  out.action = d.receive(out.bytes, iface, &out.trace, &out.emitted);
  return out;
}

}  // namespace vfw::test
