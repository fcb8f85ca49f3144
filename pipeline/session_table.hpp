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
  // Field by field, not as 16 bytes: a key is often built field by field just before it is
  // compared, and a wide load of narrow stores stalls the core (a failed store-to-load forward).
  friend bool operator==(const FlowKey& a, const FlowKey& b) {
    return ((a.src ^ b.src) | (a.dst ^ b.dst) |
            ((uint32_t{a.sport} << 16 | a.dport) ^ (uint32_t{b.sport} << 16 | b.dport)) |
            (a.proto ^ b.proto)) == 0;
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

// Whether b is the key of a's other direction (b == reverse_of(a)), compared without building
// the reversed key.
inline bool reverses(const FlowKey& a, const FlowKey& b) {
  if (a.src != b.dst || a.dst != b.src || a.proto != b.proto) return false;
  return a.proto == 1 ? a.sport == b.sport && a.dport == b.dport
                      : a.sport == b.dport && a.dport == b.sport;
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
  void prefetch_slot(uint64_t key_hash) const { __builtin_prefetch(&slots_[key_hash & mask_]); }
  void prefetch_entry(uint64_t key_hash) const;
  // Multiply-xorshift mixing (the finaliser of a 64-bit hash): cheap and spreads every bit.
  static uint64_t hash(const FlowKey& key) {
    // From the fields, for the reason operator== compares them one by one.
    const uint64_t a = uint64_t{key.src} | uint64_t{key.dst} << 32;
    const uint64_t b = uint64_t{key.sport} | uint64_t{key.dport} << 16 | uint64_t{key.proto} << 32;
    uint64_t h = a * 0x9e3779b97f4a7c15ULL ^ (b + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
  }
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t tag = 0;  // high bits of the hash, to skip most key compares
    uint32_t ref = 0;  // (session index << 1 | reply) + 1; 0 = empty
  };
  bool insert_key(const FlowKey& key, uint32_t ref);
  void erase_key(const FlowKey& key, uint32_t ref);
  const FlowKey& key_of(uint32_t ref) const {
    const uint32_t v = ref - 1;
    const Session& s = slab_[v >> 1];
    return (v & 1U) != 0 ? s.rev : s.fwd;
  }

  uint32_t capacity_;
  uint32_t size_ = 0;
  uint64_t mask_;
  HugeArray<Slot> slots_;
  HugeArray<Session> slab_;
  std::vector<uint8_t> live_;
  std::vector<uint32_t> free_;
};

// Inline: one call a packet on the fast path.
inline bool SessionTable::find(const FlowKey& key, uint64_t h, SessionHit& hit) const {
  const auto tag = static_cast<uint32_t>(h >> 32);
  for (uint64_t i = h & mask_;; i = (i + 1) & mask_) {
    const Slot& slot = slots_[i];
    if (slot.ref == 0) return false;
    if (slot.tag == tag && key_of(slot.ref) == key) {
      hit.index = (slot.ref - 1) >> 1;
      hit.reply = ((slot.ref - 1) & 1U) != 0;
      return true;
    }
  }
}

}  // namespace vfw
