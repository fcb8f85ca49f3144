// The session table: one entry per flow, found from either direction.
//
// Each session is stored once, in a slab, and indexed twice in one open-addressing hash table:
// by the flow as it first arrived (forward key) and by its reply as the reply will arrive, after
// NAT (reverse key). A hit therefore tells the direction, and the translation to apply is the
// difference between the two keys. Nothing on the lookup path allocates.
//
// Memory: 80 bytes a session plus 4 index slots of 8 bytes (two keys at a load of at most 1/2),
// 112 bytes in all; Linux conntrack uses about 300.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "pipeline/huge_pages.hpp"

namespace vfw {

struct FlowKey {
  uint32_t src = 0;
  uint32_t dst = 0;
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t proto = 0;
  uint8_t pad[3] = {0, 0, 0};
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return std::memcmp(&a, &b, sizeof(FlowKey)) == 0;
  }
};
static_assert(sizeof(FlowKey) == 16);

// The key the reply of a flow carries: addresses swapped; TCP/UDP ports swapped; an ICMP query
// keeps (identifier, request type) since parse_ipv4 keys replies like their requests.
// The key of the other direction: addresses swapped, and ports too except for ICMP, whose
// identifier is the same both ways.
inline FlowKey reverse_of(const FlowKey& k) {
  FlowKey r = k;
  r.src = k.dst;
  r.dst = k.src;
  if (k.proto != 1) {  // ICMP
    r.sport = k.dport;
    r.dport = k.sport;
  }
  return r;
}

enum class TcpState : uint8_t { None, SynSent, SynReceived, Established, Closing, Closed };

struct Session {
  FlowKey fwd;                  // the first packet as it arrived, before any translation
  FlowKey rev;                  // the reply as it arrives, after translation
  uint32_t last_seen = 0;       // seconds
  uint32_t next_hop = 0;        // forward direction
  uint32_t reply_next_hop = 0;  // reply direction
  uint16_t in_if = 0;
  uint16_t out_if = 0;
  uint16_t rule = 0;  // security-policy rule index, kDefaultRule for the default action
  uint8_t in_zone = 0;
  uint8_t out_zone = 0;
  TcpState tcp = TcpState::None;
  uint8_t flags = 0;  // kSessionSnatPort, kSessionSnatAddress ...
  uint16_t reserved = 0;
  uint32_t packets[2] = {0, 0};  // [0] forward, [1] reply
  uint64_t bytes[2] = {0, 0};
};
static_assert(sizeof(Session) == 80);

inline constexpr uint8_t kSessionSnatPort = 0x01;     // the translated source port was allocated
inline constexpr uint8_t kSessionSnatAddress = 0x02;  // a no-pat address was allocated
inline constexpr uint8_t kSessionToDevice = 0x04;     // addressed to the firewall itself
inline constexpr uint8_t kSessionFromDevice = 0x08;   // the firewall's own: replies are its
inline constexpr uint16_t kDefaultRule = 0xffff;

struct SessionHit {
  uint32_t index = 0;
  bool reply = false;  // the packet travels the reply direction
};

class SessionTable {
 public:
  explicit SessionTable(uint32_t capacity);

  uint32_t capacity() const { return capacity_; }
  uint32_t size() const { return size_; }

  // nullptr-like miss: found == false. The hash, when given, is hash(key) computed once for the
  // packet (PacketContext::original_hash) instead of again for each of the three calls.
  bool find(const FlowKey& key, SessionHit& hit) const { return find(key, hash(key), hit); }
  bool find(const FlowKey& key, uint64_t key_hash, SessionHit& hit) const;
  // Inserts a session; false when the table is full or either key is already present.
  bool insert(const Session& s, uint32_t& index);
  void erase(uint32_t index);
  void clear();  // every session, at once (benchmarks, `reset firewall session table`)
  Session& at(uint32_t index) { return slab_[index]; }
  const Session& at(uint32_t index) const { return slab_[index]; }
  bool live(uint32_t index) const { return live_[index] != 0; }

  // Visits live sessions in slab order (display, aging sweeps).
  template <typename F>
  void for_each(F&& f) const {
    for (uint32_t i = 0; i < capacity_; ++i) {
      if (live_[i] != 0) f(i, slab_[i]);
    }
  }

  // Batches overlap their memory latency: first prefetch_slot() for every packet of a batch,
  // then prefetch_entry() (which reads the now cached slot) for every packet, then find().
  void prefetch_slot(uint64_t key_hash) const;
  void prefetch_entry(uint64_t key_hash) const;
  static uint64_t hash(const FlowKey& key);
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t tag = 0;  // high bits of the hash, to skip most key compares
    uint32_t ref = 0;  // (session index << 1 | reply) + 1; 0 = empty
  };
  bool insert_key(const FlowKey& key, uint32_t ref);
  void erase_key(const FlowKey& key, uint32_t ref);
  const FlowKey& key_of(uint32_t ref) const;

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint64_t mask_;
  HugeArray<Slot> slots_;
  HugeArray<Session> slab_;
  std::vector<uint8_t> live_;
  std::vector<uint32_t> free_;
};

}  // namespace vfw
