// RFC 791 reassembly of the datagrams addressed to a node itself (the firewall's ESP, IKE and
// ping; a lab host's replies), bounded and aged because anyone can send fragments.
//
// A datagram is kept by (source, destination, identification, protocol). Its fragments are kept
// as they came, not in a 64 KB buffer per datagram, so that what a sender makes the node hold is
// what it sent. Overlapping fragments drop their datagram, as Linux has done since 4.19 and RFC
// 5722 asks of IPv6: a second copy of a fragment that differs is how an attacker slips bytes past
// a filter. The same fragment received twice (a duplicate on the wire) is harmless and ignored.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <unordered_map>
#include <vector>

#include "packet/drop_reason.hpp"
#include "packet/packet.hpp"

namespace vfw {

struct ReassemblyLimits {
  size_t datagrams = 1024;         // waiting at once
  size_t bytes = size_t{8} << 20;  // held at once, payload and a 64-byte charge per fragment
  uint32_t lifetime_s = 30;        // a datagram not complete by then is dropped (Linux's default)
};

class Reassembler {
 public:
  explicit Reassembler(ReassemblyLimits limits = {}) : limits_(limits) {}

  struct Outcome {
    std::vector<uint8_t> datagram;          // the whole datagram, when this fragment completed it
    size_t fragments = 0;                   // how many fragments it was made of
    DropReason dropped = DropReason::None;  // this fragment was refused (its datagram with it)
    bool complete() const { return !datagram.empty(); }
  };

  // Takes a fragment (info from parse_ipv4, info.is_fragment() true). Fragments dropped, here or
  // because their datagram timed out, are counted in drops under their reason.
  Outcome add(std::span<const uint8_t> packet, const PacketInfo& info, uint32_t now,
              DropCounters& drops);

  size_t pending() const { return datagrams_.size(); }
  size_t bytes_held() const { return bytes_; }

 private:
  struct Key {
    uint32_t src;
    uint32_t dst;
    uint16_t id;
    uint8_t protocol;
    friend bool operator==(const Key&, const Key&) = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const {
      return (size_t{k.src} * 0x9e3779b97f4a7c15ULL) ^ (size_t{k.dst} << 17) ^ (size_t{k.id} << 8) ^
             k.protocol;
    }
  };
  struct Datagram {
    uint32_t first_seen = 0;
    std::vector<uint8_t> header;                      // the first fragment's, once it came
    std::map<uint32_t, std::vector<uint8_t>> pieces;  // payload by offset
    uint32_t length = 0;                              // the payload's, once the last came
    bool have_last = false;
    size_t charge = 0;  // what it counts against limits_.bytes
  };

  void forget(std::unordered_map<Key, Datagram, KeyHash>::iterator it, DropReason why,
              DropCounters& drops);
  void expire(uint32_t now, DropCounters& drops);
  static std::vector<uint8_t> join(const Datagram& d);

  ReassemblyLimits limits_;
  std::unordered_map<Key, Datagram, KeyHash> datagrams_;
  size_t bytes_ = 0;
  uint32_t last_sweep_ = ~0U;
};

}  // namespace vfw
