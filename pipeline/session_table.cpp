#include "pipeline/session_table.hpp"

#include <algorithm>
#include <bit>

#include "packet/packet.hpp"

namespace vfw {

SessionTable::SessionTable(uint32_t capacity)
    : capacity_(capacity),
      // Two keys a session at a load factor of at most one half.
      mask_(std::bit_ceil(uint64_t{capacity} * 4) - 1),
      slots_(mask_ + 1),
      slab_(capacity),
      live_(capacity, 0) {
  free_.reserve(capacity);
  for (uint32_t i = capacity; i-- > 0;) free_.push_back(i);
}

void SessionTable::prefetch_entry(uint64_t h) const {
  // The entry find() will compare: the first slot of the probe run whose tag matches, not merely
  // the home slot (at half load a third of the keys sit further along). Only the slots of the
  // line prefetch_slot() brought in are read, so this never waits on memory itself.
  const auto tag = static_cast<uint32_t>(h >> 32);
  constexpr uint64_t kSlotsPerLine = 64 / sizeof(Slot);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.ref == 0) return;
    if (slot.tag == tag) {
      // A session is 80 bytes: it spans two cache lines (keys in one, counters in the other).
      const auto* entry = reinterpret_cast<const char*>(&slab_[(slot.ref - 1) >> 1]);
      __builtin_prefetch(entry, 1);
      __builtin_prefetch(entry + sizeof(Session) - 1, 1);
      return;
    }
    if ((i + 1) % kSlotsPerLine == 0) return;
  }
}

bool SessionTable::insert_key(const FlowKey& key, uint32_t ref) {
  const uint64_t h = hash(key);
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    Slot& slot = slots_[i];
    if (slot.ref == 0) {
      slot = Slot{tag, ref};
      return true;
    }
    if (slot.tag == tag && key_of(slot.ref) == key) return false;
  }
}

void SessionTable::erase_key(const FlowKey& key, uint32_t ref) {
  uint64_t i = hash(key) & mask_;
  while (slots_[i].ref != ref) {
    if (slots_[i].ref == 0) return;
    i = (i + 1) & mask_;
  }
  // Backward-shift deletion: move later members of the probe run into the hole, so that lookups
  // never need tombstones.
  uint64_t hole = i;
  for (uint64_t j = (i + 1) & mask_; slots_[j].ref != 0; j = (j + 1) & mask_) {
    const uint64_t home = hash(key_of(slots_[j].ref)) & mask_;
    const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
    if (movable) {
      slots_[hole] = slots_[j];
      hole = j;
    }
  }
  slots_[hole] = Slot{};
}

bool SessionTable::insert(const Session& s, uint32_t& index) {
  if (free_.empty()) return false;
  index = free_.back();
  slab_[index] = s;
  const uint32_t fwd_ref = (index << 1) + 1;
  const uint32_t rev_ref = (index << 1 | 1U) + 1;
  if (!insert_key(s.fwd, fwd_ref)) return false;
  if (!(s.rev == s.fwd) && !insert_key(s.rev, rev_ref)) {
    erase_key(s.fwd, fwd_ref);
    return false;
  }
  free_.pop_back();
  live_[index] = 1;
  ++size_;
  return true;
}

void SessionTable::erase(uint32_t index) {
  if (live_[index] == 0) return;
  const Session& s = slab_[index];
  erase_key(s.fwd, (index << 1) + 1);
  if (!(s.rev == s.fwd)) erase_key(s.rev, (index << 1 | 1U) + 1);
  live_[index] = 0;
  free_.push_back(index);
  --size_;
}

void SessionTable::clear() {
  std::fill(slots_.begin(), slots_.end(), Slot{});
  std::fill(live_.begin(), live_.end(), 0);
  free_.clear();
  for (uint32_t i = capacity_; i-- > 0;) free_.push_back(i);
  size_ = 0;
}

size_t SessionTable::memory_bytes() const {
  return slots_.size() * sizeof(Slot) + slab_.size() * sizeof(Session) + live_.size() +
         free_.capacity() * sizeof(uint32_t);
}

}  // namespace vfw
