#include "ike/work_budget.hpp"

#include <algorithm>
#include <chrono>

#include "ike/dh.hpp"
#include "ike/random_source.hpp"

namespace vfw::ike {

uint32_t WorkBudget::cost(const DhGroup& group) {
  // Measured with `openssl speed -seconds 1 ffdh2048 ffdh3072 ffdh4096 ecdhp256 ecdhp384
  // ecdhp521` (OpenSSL 3.0.19, x86-64): operations a second 3656, 1421, 686, 22484, 1355, 3385.
  // OpenSSL 3.0 has no fast path for P-384, which costs more than P-521. The smaller MODP groups
  // cost less than MODP-2048 but never less than one unit.
  switch (group.number) {
    case 14:
      return 4;
    case 15:
      return 10;
    case 16:
      return 21;
    case 20:
      return 11;
    case 21:
      return 5;
    case 5:
      return 2;
    default:
      return 1;  // MODP-768, MODP-1024, ECP-256
  }
}

bool WorkBudget::charge(const DhGroup& group, uint64_t now_ms, bool proven) {
  const uint64_t second = now_ms / 1000;
  if (second != second_) {
    second_ = second;
    units_used_ = 0;
    unproven_used_ = 0;
  }
  const uint32_t units = cost(group);
  const bool over = units_used_ + units > units_per_second_ ||
                    (!proven && unproven_used_ + units > units_per_second_ / 2);
  if (over) {
    ++refused_;
    refused_second_ = second;
    return false;
  }
  units_used_ += units;
  if (!proven) unproven_used_ += units;
  ++computations_;
  return true;
}

bool WorkBudget::under_pressure(uint64_t now_ms) const {
  const uint64_t second = now_ms / 1000;
  return refused_second_ != UINT64_MAX && second - refused_second_ <= 1;
}

void WorkBudget::wasted(uint64_t now_ms) {
  ++wasted_total_;
  if (wasted_until_.size() >= kMaxRemembered) wasted_until_.pop_front();
  wasted_until_.push_back(now_ms + kWastedMemoryMs);
}

size_t WorkBudget::recently_wasted(uint64_t now_ms) {
  while (!wasted_until_.empty() && wasted_until_.front() <= now_ms) wasted_until_.pop_front();
  return wasted_until_.size();
}

uint32_t measure_units_per_second(double share, double* ms_per_modp2048) {
  const DhGroup& group = *find_dh_group(14);
  const auto peer = DhKey::generate(group, system_random());
  if (!peer) return WorkBudget::kDefaultUnitsPerSecond;
  constexpr int kRounds = 8;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRounds; ++i) {
    const auto key = DhKey::generate(group, system_random());
    if (!key || !key->shared_secret(peer->public_value()))
      return WorkBudget::kDefaultUnitsPerSecond;
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      kRounds;
  if (ms_per_modp2048 != nullptr) *ms_per_modp2048 = ms;
  const double units = share * 1000.0 / ms * WorkBudget::cost(group);
  // At least two computations in the most costly group: one for each half.
  return std::max<uint32_t>(42, static_cast<uint32_t>(units));
}

}  // namespace vfw::ike
