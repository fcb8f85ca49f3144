// How much Diffie-Hellman work a device does for whoever sends it an IKE request (issue 25).
// A responder's first answer costs a key pair and, to check the peer's value, a shared secret:
// about 1,000 times what forwarding a packet costs, on the thread that forwards. Two defences
// share this object, for IKEv2 and IKEv1 alike:
//  - a computation whose peer value proved not to be in the group made no half-open SA, but cost
//    as much: it is remembered for as long as a half-open SA would live and counts towards
//    IKEv2's cookie decision (RFC 7296 2.6), so a flood of bad values from a spoofed address
//    turns into cookies, which that address never sees;
//  - the computations started in any one second are bounded (in units of work, each group
//    weighted by its cost), so that forwarding keeps its share of the core under any IKE load,
//    cookies returned or not; requests whose sender has not proved its address may spend half.
//    A request beyond the budget is not answered (its sender retransmits, RFC 7296 2.1) and is
//    counted.
// Sans I/O like the engines: the caller's clock; whoever hosts the device may size the budget
// from what a computation costs on its machine (vfw run measures it at start).
#pragma once

#include <cstdint>
#include <deque>

#include "ike/ike_algorithms.hpp"

namespace vfw::ike {

class WorkBudget {
 public:
  // MODP-2048, the seed's group, costs 4 units; 400 units a second is 100 such computations.
  static constexpr uint32_t kDefaultUnitsPerSecond = 400;
  explicit WorkBudget(uint32_t units_per_second = kDefaultUnitsPerSecond)
      : units_per_second_(units_per_second) {}

  // What one responder computation in a group costs, in units: the ratios of `openssl speed
  // ffdh2048 ... ecdhp521` (OpenSSL 3.0), MODP-2048 being 4.
  static uint32_t cost(const DhGroup& group);

  void set_units_per_second(uint32_t units) { units_per_second_ = units; }
  uint32_t units_per_second() const { return units_per_second_; }

  // true, and charged, when this second's budget still holds a computation in group; false and
  // counted when it does not. A request from an address that has not proved it is the sender's
  // (no cookie returned, IKEv1 aggressive mode's first message) may spend only half the budget,
  // so that a spoofed flood of one kind cannot starve the peers that prove themselves.
  bool charge(const DhGroup& group, uint64_t now_ms, bool proven);
  // Whether a computation was refused in this second or the last: IKEv2 then demands cookies
  // of every newcomer, which lets those who return one spend the other half.
  bool under_pressure(uint64_t now_ms) const;
  // A computation was spent on a peer value that is not in the group.
  void wasted(uint64_t now_ms);
  // The wasted computations of the last kWastedMemoryMs (at most kMaxRemembered).
  size_t recently_wasted(uint64_t now_ms);

  // As long as a responder's half-open SA lives.
  static constexpr uint64_t kWastedMemoryMs = 30'000;
  static constexpr size_t kMaxRemembered = 4096;

  uint64_t computations() const { return computations_; }
  uint64_t refused() const { return refused_; }
  uint64_t wasted_total() const { return wasted_total_; }

 private:
  uint32_t units_per_second_;
  uint64_t second_ = UINT64_MAX;  // the second (now_ms / 1000) units_used_ counts
  uint32_t units_used_ = 0;
  uint32_t unproven_used_ = 0;
  uint64_t refused_second_ = UINT64_MAX;  // the last second a computation was refused in
  std::deque<uint64_t> wasted_until_;     // expiry times, oldest first
  uint64_t computations_ = 0;
  uint64_t refused_ = 0;
  uint64_t wasted_total_ = 0;
};

// For a host that runs the device on a real core (vfw run), not for the engines: the budget that
// lets IKE take share (0..1) of this core, from the time a MODP-2048 responder computation (a key
// pair and a checked shared secret, as the engines do it) takes here, measured now. Never below
// one computation in the most costly group a second.
uint32_t measure_units_per_second(double share, double* ms_per_modp2048 = nullptr);

}  // namespace vfw::ike
