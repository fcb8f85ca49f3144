#include "device/arp_table.hpp"

#include <cstdio>

namespace vfw {

const MacAddress* ArpTable::interface_mac(uint16_t interface) const {
  const auto it = own_.find(interface);
  return it == own_.end() ? nullptr : &it->second;
}

bool ArpTable::learn(uint16_t interface, Ipv4 address, const MacAddress& mac, uint32_t now) {
  const Key key{interface, address.v};
  if (entries_.size() >= kMaxEntries && entries_.count(key) == 0) {
    expire(now);
    if (entries_.size() >= kMaxEntries) return false;
  }
  entries_[key] = Entry{mac, now};
  return true;
}

const MacAddress* ArpTable::find(uint16_t interface, Ipv4 address, uint32_t now) const {
  const auto it = entries_.find({interface, address.v});
  if (it == entries_.end() || now - it->second.learned >= kAgeSeconds) return nullptr;
  return &it->second.mac;
}

ArpTable::Wait ArpTable::wait(uint16_t interface, Ipv4 address, std::vector<uint8_t> packet,
                              uint64_t tag) {
  const Key key{interface, address.v};
  if (waiting_.size() >= kMaxWaitingAddresses && waiting_.count(key) == 0) return Wait::Full;
  auto& queue = waiting_[key];
  if (queue.size() >= kMaxWaiting) return Wait::Full;
  queue.push_back({std::move(packet), tag});
  return queue.size() == 1 ? Wait::Request : Wait::Queued;
}

std::vector<ArpTable::Waiting> ArpTable::release(uint16_t interface, Ipv4 address) {
  const auto it = waiting_.find({interface, address.v});
  if (it == waiting_.end()) return {};
  auto packets = std::move(it->second);
  waiting_.erase(it);
  return packets;
}

std::vector<ArpTable::Key> ArpTable::unresolved() const {
  std::vector<Key> keys;
  for (const auto& [key, queue] : waiting_) keys.push_back(key);
  return keys;
}

void ArpTable::expire(uint32_t now) {
  if (now == last_expire_) return;
  last_expire_ = now;
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now - it->second.learned >= kAgeSeconds ? entries_.erase(it) : std::next(it);
  }
}

std::string mac_text(const MacAddress& m) {
  char text[16];
  std::snprintf(text, sizeof text, "%02x%02x-%02x%02x-%02x%02x", m[0], m[1], m[2], m[3], m[4],
                m[5]);
  return text;
}

}  // namespace vfw
