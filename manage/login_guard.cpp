#include "manage/login_guard.hpp"

#include <algorithm>

namespace vfw::manage {

bool LoginGuard::locked(Ipv4 source, uint64_t now_ms) const {
  const auto it = sources_.find(source.v);
  return it != sources_.end() && now_ms < it->second.locked_until_ms;
}

bool LoginGuard::first_refusal(Ipv4 source) {
  const auto it = sources_.find(source.v);
  if (it == sources_.end() || it->second.refusal_logged) return false;
  it->second.refusal_logged = true;
  return true;
}

bool LoginGuard::failed(Ipv4 source, uint64_t now_ms) {
  if (sources_.find(source.v) == sources_.end()) make_room(now_ms);
  Source& s = sources_[source.v];
  s.last_seen_ms = now_ms;
  if (now_ms < s.locked_until_ms) return false;  // already locked: nothing more to count
  // Failures older than the window no longer count.
  if (s.failures == 0 || now_ms - s.first_failure_ms > limits_.window_ms) {
    s.failures = 0;
    s.first_failure_ms = now_ms;
  }
  if (++s.failures < limits_.failures) return false;
  s.failures = 0;
  s.locked_until_ms = now_ms + limits_.lock_ms;
  s.refusal_logged = false;
  return true;
}

void LoginGuard::succeeded(Ipv4 source) {
  sources_.erase(source.v);
}

void LoginGuard::make_room(uint64_t now_ms) {
  if (sources_.size() < kMaxTracked) return;
  // A locked source is kept over one that only failed; among equals, the one seen longest ago
  // goes. An attacker spreading over many addresses pushes out its own entries first.
  auto victim = sources_.begin();
  for (auto it = sources_.begin(); it != sources_.end(); ++it) {
    const bool it_locked = now_ms < it->second.locked_until_ms;
    const bool victim_locked = now_ms < victim->second.locked_until_ms;
    if (it_locked != victim_locked) {
      if (!it_locked) victim = it;
      continue;
    }
    if (it->second.last_seen_ms < victim->second.last_seen_ms) victim = it;
  }
  sources_.erase(victim);
}

}  // namespace vfw::manage
