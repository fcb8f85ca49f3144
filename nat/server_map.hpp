// The server map of `nat server`: static entries that translate a public (global) address to a
// server's private (inside) address, forward, and, unless no-reverse, the reverse entry that gives
// the server's own outbound connections the global address.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model.hpp"

namespace vfw {

struct ServerMapEntry {
  std::string name;
  uint8_t protocol = 0;  // 0: any
  Ipv4 global;
  std::optional<uint16_t> global_port;
  Ipv4 inside;
  std::optional<uint16_t> inside_port;
  bool no_reverse = false;
};

class ServerMap {
 public:
  void build(const config::Config& cfg);
  // Forward entry for a packet to dst (an exact protocol and port first, then the address alone).
  const ServerMapEntry* forward(Ipv4 dst, uint8_t proto, uint16_t dport) const;
  // Reverse entry for a packet from src (the server initiating a connection).
  const ServerMapEntry* reverse(Ipv4 src, uint8_t proto, uint16_t sport) const;
  const std::vector<ServerMapEntry>& entries() const { return entries_; }

 private:
  static uint64_t key(Ipv4 a, uint8_t proto, uint32_t port) {
    return (uint64_t{a.v} << 32) | (uint64_t{proto} << 24) | port;
  }
  const ServerMapEntry* find(const std::unordered_map<uint64_t, size_t>& index, Ipv4 a,
                             uint8_t proto, uint16_t port) const;
  std::vector<ServerMapEntry> entries_;
  std::unordered_map<uint64_t, size_t> forward_;
  std::unordered_map<uint64_t, size_t> reverse_;
};

}  // namespace vfw
