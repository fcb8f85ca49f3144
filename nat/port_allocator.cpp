#include "nat/port_allocator.hpp"

#include <algorithm>
#include <bit>

namespace vfw {

std::optional<uint16_t> PortAllocator::allocate(Ipv4 addr, uint8_t proto) {
  Ports& p = ports_[key(addr, proto)];
  constexpr uint32_t kCount = 65536 - kFirstPort;
  if (p.used >= kCount) return std::nullopt;
  uint32_t port = p.cursor;
  for (uint32_t scanned = 0; scanned < kCount + 64;) {
    const uint32_t word = port / 64;
    const uint64_t free_bits = ~p.bits[word] & (~uint64_t{0} << (port % 64));
    if (free_bits != 0) {
      port = word * 64 + static_cast<uint32_t>(std::countr_zero(free_bits));
      p.bits[port / 64] |= uint64_t{1} << (port % 64);
      ++p.used;
      p.cursor = port + 1 >= 65536 ? kFirstPort : port + 1;
      return static_cast<uint16_t>(port);
    }
    scanned += 64 - port % 64;
    port = (word + 1) * 64;
    if (port >= 65536) port = kFirstPort;
  }
  return std::nullopt;
}

void PortAllocator::release(Ipv4 addr, uint8_t proto, uint16_t port) {
  auto it = ports_.find(key(addr, proto));
  if (it == ports_.end()) return;
  uint64_t& word = it->second.bits[port / 64];
  const uint64_t bit = uint64_t{1} << (port % 64);
  if ((word & bit) == 0) return;
  word &= ~bit;
  --it->second.used;
}

bool PortAllocator::in_use(Ipv4 addr, uint8_t proto, uint16_t port) const {
  auto it = ports_.find(key(addr, proto));
  return it != ports_.end() && (it->second.bits[port / 64] >> (port % 64) & 1U) != 0;
}

size_t PortAllocator::used(Ipv4 addr, uint8_t proto) const {
  auto it = ports_.find(key(addr, proto));
  return it == ports_.end() ? 0 : it->second.used;
}

std::optional<Ipv4> AddressAllocator::acquire(uint32_t group, const std::vector<Ipv4Range>& pool,
                                              Ipv4 inside) {
  if (Binding* b = bindings_.find(key(group, inside.v))) {
    ++b->refs;
    return b->global;
  }
  // Room for every address of the pool bound at once: sized here, not per binding.
  uint64_t addresses = 0;
  for (const auto& range : pool) addresses += uint64_t{range.hi} - range.lo + 1;
  bindings_.reserve(std::min<uint64_t>(addresses, 1U << 16));
  taken_.reserve(std::min<uint64_t>(addresses, 1U << 16));
  for (const auto& range : pool) {
    for (uint64_t a = range.lo; a <= range.hi; ++a) {
      const auto global = static_cast<uint32_t>(a);
      if (taken_.find(key(group, global)) != nullptr) continue;
      taken_.put(key(group, global), inside.v);
      bindings_.put(key(group, inside.v), Binding{Ipv4{global}, 1});
      return Ipv4{global};
    }
  }
  return std::nullopt;
}

void AddressAllocator::release(uint32_t group, Ipv4 inside) {
  Binding* b = bindings_.find(key(group, inside.v));
  if (b == nullptr) return;
  if (--b->refs == 0) {
    taken_.erase(key(group, b->global.v));
    bindings_.erase(key(group, inside.v));
  }
}

}  // namespace vfw
