// The sessions traffic-policy's connection limits count: for each limiting rule, how many live
// sessions each source opened, each destination received, and the rule admitted in all.
//
// A session remembers what it was counted under (in a slot beside the session table's, not in
// the session itself, which stays 80 bytes), so that its removal takes back exactly what its
// creation added, whatever the configuration became in between. Rules are known by name across
// configuration changes: a rule edited keeps its counts, a rule deleted keeps them until its
// sessions go. Bounded: at most three entries per counted session, erased at zero.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace vfw {

class SessionCounts {
 public:
  enum Kind : uint8_t { kBySource = 1, kByDestination = 2, kWhole = 4 };

  explicit SessionCounts(uint32_t session_capacity) : counted_(session_capacity, 0) {}

  // The slot of each rule name (a configuration's limiting rules), in the order given. Slots of
  // rules no longer configured and no longer counting anything are reused.
  std::vector<uint16_t> bind(const std::vector<std::string>& rule_names);

  uint32_t count(uint16_t slot, Kind kind, uint32_t address) const;
  // A session was created under slot, counted for the kinds given.
  void charge(uint32_t session, uint16_t slot, uint8_t kinds, uint32_t source,
              uint32_t destination);
  // The session goes: what it was counted for is taken back. source and destination as charged.
  void release(uint32_t session, uint32_t source, uint32_t destination);
  void clear();  // every session went at once
  size_t entries() const { return counts_.size(); }

 private:
  static uint64_t key(uint16_t slot, Kind kind, uint32_t address) {
    return uint64_t{slot} << 35 | uint64_t{kind} << 32 | address;
  }
  void take_back(uint64_t k);
  std::unordered_map<uint64_t, uint32_t> counts_;
  // By session index: slot << 3 | kinds, 0 when the session was not counted.
  std::vector<uint32_t> counted_;
  std::vector<std::string> slot_names_;  // by slot
  std::vector<uint32_t> slot_sessions_;  // live sessions counted under each slot
};

}  // namespace vfw
