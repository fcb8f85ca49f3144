// The firewall's mutable state: sessions, NAT resources, counters. It outlives configuration
// snapshots, as sessions survive a configuration change on the device.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "ipsec/sad.hpp"
#include "nat/port_allocator.hpp"
#include "packet/drop_reason.hpp"
#include "packet/packet.hpp"
#include "pipeline/session_table.hpp"
#include "traffic/session_counts.hpp"

namespace vfw {

// Session aging per protocol: the USG defaults (display firewall session aging-time).
struct AgingTimes {
  uint32_t tcp = 1200;
  uint32_t udp = 120;
  uint32_t icmp = 20;
  uint32_t other = 600;
  uint32_t tcp_closed = 10;                       // after RST, or FIN in both directions
  uint32_t for_session(const Session& s) const {  // inline: every packet asks
    switch (s.fwd.proto) {
      case ipproto::kTcp:
        return s.tcp == TcpState::Closed ? tcp_closed : tcp;
      case ipproto::kUdp:
        return udp;
      case ipproto::kIcmp:
        return icmp;
      default:
        return other;
    }
  }
};

class Runtime {
 public:
  explicit Runtime(uint32_t session_capacity)
      : sessions(session_capacity), session_counts(session_capacity) {}

  SessionTable sessions;
  // What traffic-policy's connection limits count, and the slot there of each rule of the
  // current snapshot's traffic policy (by compiled rule index; set per snapshot).
  SessionCounts session_counts;
  std::vector<uint16_t> traffic_slots;
  PortAllocator ports;
  AddressAllocator addresses;
  DropCounters drops;
  AgingTimes aging;
  std::vector<uint64_t> security_hits;  // by compiled rule index; resized per snapshot
  uint64_t security_default_hits = 0;
  ipsec::Sad sad;
  // ISAKMP policy entries (SPD indexes) that packets found without an SA since the device last
  // looked: each starts a negotiation (device/ike_link.hpp). Bounded: one per entry.
  std::vector<uint32_t> ike_acquires;
  // Packets that found their ISAKMP entry without an SA: held while IKE negotiates, then sent
  // through the new SA (device/device.cpp). Bounded as on the device: a few per entry.
  struct HeldPacket {
    uint32_t policy_index = 0;
    uint16_t out_if = 0;
    std::vector<uint8_t> bytes;  // as SNAT left it, before the TTL decrement
    uint32_t since = 0;          // device seconds
    bool forwarded = true;       // not the device's own: its TTL drops when it leaves
    // The session it opened, and the flow it was opened for: kept alive while the packet
    // waits (a negotiation may outlast an ICMP session's timeout) and touched when it leaves.
    uint32_t session = UINT32_MAX;
    FlowKey flow;
  };
  static constexpr size_t kMaxHeldPerEntry = 8;
  static constexpr size_t kMaxHeld = 256;
  std::vector<HeldPacket> held;
  uint16_t next_ip_id = 1;  // identification of the packets the device builds (ESP tunnels)
  uint64_t forwarded = 0;

  bool expired(const Session& s, uint32_t now) const {
    return now - s.last_seen > aging.for_session(s);
  }
  // Removes a session and returns its NAT port or address to the pools and its place in the
  // connection limits' counts.
  void remove_session(uint32_t index);
  // Every session at once, with what they counted (not their NAT resources: the caller that
  // empties the table wholesale rebuilds it, or drops the allocators with it).
  void clear_sessions();
  // Removes every aged session (before a display, or periodically).
  void sweep(uint32_t now);
  // Ages the table as the device does, a slice at a time from where the last slice stopped: at
  // most `slots` slots of the table are looked at, so a tick never pauses the data plane for
  // long, and the whole table is visited every capacity / slots ticks. Returns how many went.
  size_t age_slice(uint32_t now, uint32_t slots);
  // The table is full: the aged sessions go, at most once a second (a flood of new flows against
  // a full table of live sessions does not rescan it for each packet). Returns how many went.
  size_t reclaim(uint32_t now);

  // Later fragments of a packet follow the session its first fragment found or created.
  struct FragmentRef {
    uint32_t session = 0;
    bool reply = false;
    uint32_t seen = 0;
  };
  // Remembers a first fragment's decision for its later fragments; false when the table is full
  // of fragments still waiting for theirs (a flood of first fragments that never complete): the
  // packet is then dropped, and the datagrams already remembered keep passing.
  bool remember_fragment(const FlowKey& key, uint16_t ip_id, FragmentRef ref);
  // Whether one more first fragment can be remembered (expired ones are forgotten first).
  bool fragment_room(uint32_t now);
  static constexpr size_t kMaxFragments = 4096;
  const FragmentRef* find_fragment(uint32_t src, uint32_t dst, uint8_t proto, uint16_t ip_id,
                                   uint32_t now) const;

 private:
  // A fragment belongs to its datagram by (source, destination, identification, protocol), as
  // RFC 791 reassembles: the whole tuple is the key, so no other flow's fragment can share it.
  struct FragmentKey {
    uint32_t src = 0;
    uint32_t dst = 0;
    uint16_t ip_id = 0;
    uint8_t proto = 0;
    friend bool operator==(const FragmentKey&, const FragmentKey&) = default;
  };
  struct FragmentKeyHash {
    size_t operator()(const FragmentKey& k) const {
      return (uint64_t{k.src} * 0x9e3779b97f4a7c15ULL) ^ (uint64_t{k.dst} << 24) ^
             (uint64_t{k.proto} << 16) ^ k.ip_id;
    }
  };
  std::unordered_map<FragmentKey, FragmentRef, FragmentKeyHash> fragments_;
  uint32_t last_fragment_sweep_ = ~0U;  // the second of the last sweep of expired fragments
  uint32_t aging_cursor_ = 0;           // where the next aging slice starts in the table
  uint32_t last_reclaim_ = ~0U;         // the second of the last reclaim of a full table
};

}  // namespace vfw
