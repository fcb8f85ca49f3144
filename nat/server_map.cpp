#include "nat/server_map.hpp"

namespace vfw {
namespace {
constexpr uint32_t kAnyPort = 0x10000;  // outside the 16-bit port space
}

void ServerMap::build(const config::Config& cfg) {
  entries_.clear();
  forward_.clear();
  reverse_.clear();
  for (const auto& s : cfg.nat_servers) {
    const size_t i = entries_.size();
    entries_.push_back(ServerMapEntry{s.name, s.protocol, s.global, s.global_port, s.inside,
                                      s.inside_port, s.no_reverse});
    forward_.emplace(key(s.global, s.protocol, s.global_port ? *s.global_port : kAnyPort), i);
    if (!s.no_reverse) {
      reverse_.emplace(key(s.inside, s.protocol, s.inside_port ? *s.inside_port : kAnyPort), i);
    }
  }
}

const ServerMapEntry* ServerMap::find(const std::unordered_map<uint64_t, size_t>& index, Ipv4 a,
                                      uint8_t proto, uint16_t port) const {
  if (index.empty()) return nullptr;
  for (uint64_t k : {key(a, proto, port), key(a, proto, kAnyPort), key(a, 0, kAnyPort)}) {
    auto it = index.find(k);
    if (it != index.end()) return &entries_[it->second];
  }
  return nullptr;
}

const ServerMapEntry* ServerMap::forward(Ipv4 dst, uint8_t proto, uint16_t dport) const {
  return find(forward_, dst, proto, dport);
}

const ServerMapEntry* ServerMap::reverse(Ipv4 src, uint8_t proto, uint16_t sport) const {
  return find(reverse_, src, proto, sport);
}

}  // namespace vfw
