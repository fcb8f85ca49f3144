// Repeated failed logins from one address lock it out for a while, before any key exchange.
//
// The device does the same for its VTY logins: after `failures` failed attempts from an address
// within `window_ms`, the address is locked for `lock_ms`; a locked address is refused even with
// the right password, so that guessing costs the attacker the lock time per few tries. Sans-IO:
// the caller gives the time. Memory is bounded: at most kMaxTracked addresses are remembered, the
// one seen longest ago forgotten first.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "packet/address.hpp"

namespace vfw::manage {

class LoginGuard {
 public:
  struct Limits {
    int failures = 5;
    uint64_t window_ms = 5 * 60 * 1000;
    uint64_t lock_ms = 5 * 60 * 1000;
  };
  static constexpr size_t kMaxTracked = 4096;

  LoginGuard() = default;
  explicit LoginGuard(Limits limits) : limits_(limits) {}

  // Whether `source` is locked out at `now_ms`.
  bool locked(Ipv4 source, uint64_t now_ms) const;
  // A refused connection of a locked source: true the first time since the lock (to log it once).
  bool first_refusal(Ipv4 source);
  // A failed login. Returns true when this failure locks the source.
  bool failed(Ipv4 source, uint64_t now_ms);
  // A successful login forgets the source's failures.
  void succeeded(Ipv4 source);
  const Limits& limits() const { return limits_; }
  size_t tracked() const { return sources_.size(); }

 private:
  struct Source {
    int failures = 0;
    uint64_t first_failure_ms = 0;
    uint64_t locked_until_ms = 0;
    uint64_t last_seen_ms = 0;
    bool refusal_logged = false;
  };
  void make_room(uint64_t now_ms);

  Limits limits_;
  std::unordered_map<uint32_t, Source> sources_;
};

}  // namespace vfw::manage
