// An open-addressing hash map from a 64-bit key to a small value, for the NAT allocators: its
// slots are one vector, sized before use and doubled only when more than half full, so that
// acquiring and releasing an address on a first packet allocate nothing (std::map allocated a
// node per binding). Linear probing; erase shifts the rest of the probe run back, so lookups
// need no tombstones.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace vfw {

template <typename V>
class FlatMap {
 public:
  // Room for n keys without growing.
  void reserve(size_t n) {
    size_t want = 16;
    while (want < n * 2) want *= 2;
    if (want > slots_.size()) rehash(want);
  }

  V* find(uint64_t key) {
    if (slots_.empty()) return nullptr;
    for (size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      if (!s.used) return nullptr;
      if (s.key == key) return &s.value;
    }
  }

  // Inserts or replaces.
  void put(uint64_t key, V value) {
    if ((size_ + 1) * 2 > slots_.size()) rehash(slots_.empty() ? 16 : slots_.size() * 2);
    for (size_t i = home(key);; i = next(i)) {
      Slot& s = slots_[i];
      if (!s.used) {
        s = Slot{key, value, true};
        ++size_;
        return;
      }
      if (s.key == key) {
        s.value = value;
        return;
      }
    }
  }

  void erase(uint64_t key) {
    if (slots_.empty()) return;
    size_t i = home(key);
    while (slots_[i].used && slots_[i].key != key) i = next(i);
    if (!slots_[i].used) return;
    size_t hole = i;
    for (size_t j = next(i); slots_[j].used; j = next(j)) {
      const size_t h = home(slots_[j].key);
      const bool movable = hole <= j ? (h <= hole || h > j) : (h <= hole && h > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --size_;
  }

  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t key = 0;
    V value{};
    bool used = false;
  };
  size_t home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9e3779b97f4a7c15ULL) >> 20) & (slots_.size() - 1);
  }
  size_t next(size_t i) const { return (i + 1) & (slots_.size() - 1); }
  void rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    size_ = 0;
    for (const Slot& s : old) {
      if (s.used) put(s.key, s.value);
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
};

}  // namespace vfw
