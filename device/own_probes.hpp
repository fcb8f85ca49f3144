// The device's own probes (ping and tracert typed on the firewall) and the answers that come
// back for them. A probe is an ICMP echo request or a UDP datagram the device sends through its
// own pipeline; its answer is an echo reply, or the ICMP error a router or host sends back quoting
// it (time exceeded, port unreachable), delivered to the device like any packet for it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "packet/address.hpp"

namespace vfw {

struct ProbeAnswer {
  uint16_t id = 0;   // the echo identifier, or the UDP probe's source port
  uint16_t seq = 0;  // the echo sequence number, or the UDP probe's destination port
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  Ipv4 from;           // who answered
  uint8_t ttl = 0;     // the answer's TTL as it arrived
  uint32_t bytes = 0;  // the echo reply's data bytes
  uint64_t at_ms = 0;  // the device clock when it arrived
};

class OwnProbes {
 public:
  // A fresh identifier for a run of probes, kept until closed: what comes back with it is
  // answered. A new one each run, as Linux ping takes one, so that a probe never rides an old
  // session of a previous run.
  uint16_t open();
  void close(uint16_t id);
  // An ICMP packet delivered to the device: true (and kept) when it answers one of the open
  // probes.
  bool answer(std::span<const uint8_t> packet, uint64_t now_ms);
  std::vector<ProbeAnswer> take(uint16_t id);

  // At most this many answers are kept for the open runs: a flood of forged replies cannot grow
  // the device's memory.
  static constexpr size_t kMaxAnswers = 1024;
  static constexpr size_t kMaxOpen = 64;

 private:
  uint16_t next_ = 0x5a00;
  std::vector<uint16_t> open_;
  std::vector<ProbeAnswer> answers_;
};

}  // namespace vfw
