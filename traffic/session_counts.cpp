#include "traffic/session_counts.hpp"

#include <algorithm>

namespace vfw {

std::vector<uint16_t> SessionCounts::bind(const std::vector<std::string>& rule_names) {
  std::vector<uint16_t> slots;
  slots.reserve(rule_names.size());
  std::vector<bool> wanted(slot_names_.size(), false);
  for (const auto& name : rule_names) {
    auto it = std::find(slot_names_.begin(), slot_names_.end(), name);
    if (it != slot_names_.end()) wanted[static_cast<size_t>(it - slot_names_.begin())] = true;
  }
  // A slot whose rule is gone and whose sessions are all gone is free again.
  for (size_t i = 0; i < slot_names_.size(); ++i) {
    if (!wanted[i] && slot_sessions_[i] == 0) slot_names_[i].clear();
  }
  for (const auto& name : rule_names) {
    auto it = std::find(slot_names_.begin(), slot_names_.end(), name);
    if (it == slot_names_.end()) {
      it = std::find(slot_names_.begin(), slot_names_.end(), std::string());
      if (it == slot_names_.end()) {
        slot_names_.emplace_back();
        slot_sessions_.push_back(0);
        it = slot_names_.end() - 1;
      }
      *it = name;
    }
    slots.push_back(static_cast<uint16_t>(it - slot_names_.begin()));
  }
  return slots;
}

uint32_t SessionCounts::count(uint16_t slot, Kind kind, uint32_t address) const {
  auto it = counts_.find(key(slot, kind, address));
  return it == counts_.end() ? 0 : it->second;
}

void SessionCounts::charge(uint32_t session, uint16_t slot, uint8_t kinds, uint32_t source,
                           uint32_t destination) {
  if (kinds == 0 || session >= counted_.size()) return;
  if ((kinds & kBySource) != 0) ++counts_[key(slot, kBySource, source)];
  if ((kinds & kByDestination) != 0) ++counts_[key(slot, kByDestination, destination)];
  if ((kinds & kWhole) != 0) ++counts_[key(slot, kWhole, 0)];
  counted_[session] = uint32_t{slot} << 3 | kinds;
  ++slot_sessions_[slot];
}

void SessionCounts::take_back(uint64_t k) {
  auto it = counts_.find(k);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

void SessionCounts::release(uint32_t session, uint32_t source, uint32_t destination) {
  if (session >= counted_.size() || counted_[session] == 0) return;
  const auto slot = static_cast<uint16_t>(counted_[session] >> 3);
  const uint8_t kinds = counted_[session] & 7;
  counted_[session] = 0;
  if ((kinds & kBySource) != 0) take_back(key(slot, kBySource, source));
  if ((kinds & kByDestination) != 0) take_back(key(slot, kByDestination, destination));
  if ((kinds & kWhole) != 0) take_back(key(slot, kWhole, 0));
  --slot_sessions_[slot];
}

void SessionCounts::clear() {
  counts_.clear();
  std::fill(counted_.begin(), counted_.end(), 0);
  std::fill(slot_sessions_.begin(), slot_sessions_.end(), 0);
}

}  // namespace vfw
