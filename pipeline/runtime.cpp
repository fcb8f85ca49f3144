#include "pipeline/runtime.hpp"

#include "packet/packet.hpp"

namespace vfw {
namespace {
constexpr uint32_t kFragmentLifetime = 5;  // seconds a first fragment's decision is remembered
}  // namespace

void Runtime::remove_session(uint32_t index) {
  if (!sessions.live(index)) return;
  const Session& s = sessions.at(index);
  // The reply arrives at the translated source: rev.dst / rev.dport hold what was allocated.
  if ((s.flags & kSessionSnatPort) != 0) ports.release(Ipv4{s.rev.dst}, s.fwd.proto, s.rev.dport);
  if ((s.flags & kSessionSnatAddress) != 0) addresses.release(s.reserved, Ipv4{s.fwd.src});
  // Counted by the source as it arrived and the destination as the reply comes from (after DNAT).
  session_counts.release(index, s.fwd.src, s.rev.src);
  sessions.erase(index);
}

void Runtime::clear_sessions() {
  sessions.clear();
  session_counts.clear();
}

void Runtime::sweep(uint32_t now) {
  std::vector<uint32_t> dead;
  sessions.for_each([&](uint32_t i, const Session& s) {
    if (expired(s, now)) dead.push_back(i);
  });
  for (uint32_t i : dead) remove_session(i);
}

size_t Runtime::age_slice(uint32_t now, uint32_t slots) {
  const uint32_t capacity = sessions.capacity();
  if (capacity == 0) return 0;
  size_t removed = 0;
  for (uint32_t n = 0; n < slots && n < capacity; ++n) {
    const uint32_t i = aging_cursor_;
    aging_cursor_ = aging_cursor_ + 1 == capacity ? 0 : aging_cursor_ + 1;
    if (sessions.live(i) && expired(sessions.at(i), now)) {
      remove_session(i);
      ++removed;
    }
  }
  return removed;
}

size_t Runtime::reclaim(uint32_t now) {
  if (now == last_reclaim_) return 0;
  last_reclaim_ = now;
  const uint32_t before = sessions.size();
  sweep(now);
  return before - sessions.size();
}

bool Runtime::fragment_room(uint32_t now) {
  if (fragments_.size() < kMaxFragments) return true;
  // At most one sweep a second: under a flood, every refused first fragment rescanning the
  // whole table would turn the limit into a cost of its own.
  if (now != last_fragment_sweep_) {
    last_fragment_sweep_ = now;
    std::erase_if(fragments_,
                  [&](const auto& kv) { return now - kv.second.seen > kFragmentLifetime; });
  }
  return fragments_.size() < kMaxFragments;
}

bool Runtime::remember_fragment(const FlowKey& key, uint16_t ip_id, FragmentRef ref) {
  const FragmentKey k{key.src, key.dst, ip_id, key.proto};
  if (fragments_.size() >= kMaxFragments && fragments_.count(k) == 0) {
    // Forget only what has expired; what is still waiting for its fragments stays. (Clearing
    // the whole table let a flood of first fragments break every fragmented flow.)
    if (!fragment_room(ref.seen)) return false;
  }
  fragments_[k] = ref;
  return true;
}

const Runtime::FragmentRef* Runtime::find_fragment(uint32_t src, uint32_t dst, uint8_t proto,
                                                   uint16_t ip_id, uint32_t now) const {
  auto it = fragments_.find(FragmentKey{src, dst, ip_id, proto});
  if (it == fragments_.end() || now - it->second.seen > kFragmentLifetime) return nullptr;
  if (!sessions.live(it->second.session)) return nullptr;
  return &it->second;
}

}  // namespace vfw
