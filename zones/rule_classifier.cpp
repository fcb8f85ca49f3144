#include "zones/rule_classifier.hpp"

#include <algorithm>
#include <bit>

namespace vfw {
namespace {

size_t words_for_bits(size_t bits) {
  return (bits + 63) / 64;
}

void set_bit(uint64_t* words, size_t bit) {
  words[bit / 64] |= uint64_t{1} << (bit % 64);
}

}  // namespace

void Dimension::reset(size_t rules) {
  words_ = words_for_bits(rules);
  summary_words_ = words_for_bits(words_);
  pending_.clear();
  any_.assign(words_, 0);
  any_summary_.assign(summary_words_, 0);
}

void Dimension::add(size_t rule, const std::vector<ValueRange>& ranges) {
  if (ranges.empty()) {
    set_bit(any_.data(), rule);
    set_bit(any_summary_.data(), rule / 64);
    return;
  }
  pending_.emplace_back(rule, ranges);
}

void Dimension::build() {
  starts_.assign(1, 0);
  for (const auto& [rule, ranges] : pending_) {
    for (const auto& r : ranges) {
      starts_.push_back(r.lo);
      if (r.hi != 0xffffffffU) starts_.push_back(r.hi + 1);
    }
  }
  std::sort(starts_.begin(), starts_.end());
  starts_.erase(std::unique(starts_.begin(), starts_.end()), starts_.end());
  bits_.assign(starts_.size() * words_, 0);
  summary_.assign(starts_.size() * summary_words_, 0);
  for (const auto& [rule, ranges] : pending_) {
    for (const auto& r : ranges) {
      for (size_t i = interval_of(r.lo); i < starts_.size() && starts_[i] <= r.hi; ++i) {
        set_bit(&bits_[i * words_], rule);
        set_bit(&summary_[i * summary_words_], rule / 64);
        if (starts_[i] == 0xffffffffU) break;
      }
    }
  }
  pending_.clear();
  pending_.shrink_to_fit();
}

size_t Dimension::interval_of(uint32_t value) const {
  return static_cast<size_t>(std::upper_bound(starts_.begin(), starts_.end(), value) -
                             starts_.begin()) -
         1;
}

const uint64_t* Dimension::words_for(uint32_t value) const {
  return &bits_[interval_of(value) * words_];
}

const uint64_t* Dimension::summary_for(uint32_t value) const {
  return &summary_[interval_of(value) * summary_words_];
}

size_t Dimension::memory_bytes() const {
  return (bits_.size() + summary_.size() + any_.size() + any_summary_.size()) * 8 +
         starts_.size() * 4;
}

void RuleClassifier::build(const std::vector<RuleRanges>& rules) {
  rules_ = rules.size();
  words_ = words_for_bits(rules_);
  summary_words_ = words_for_bits(words_);
  for (size_t d = 0; d < kDimensions; ++d) {
    dims_[d].reset(rules_);
    for (size_t r = 0; r < rules_; ++r) dims_[d].add(r, rules[r][d]);
    dims_[d].build();
  }
}

template <typename Verify>
int RuleClassifier::search(const std::array<uint32_t, kDimensions>& values, Verify&& verify) const {
  if (rules_ == 0) return -1;
  std::array<const uint64_t*, kDimensions> words{};
  std::array<const uint64_t*, kDimensions> sums{};
  for (size_t d = 0; d < kDimensions; ++d) {
    words[d] = dims_[d].words_for(values[d]);
    sums[d] = dims_[d].summary_for(values[d]);
  }
  for (size_t s = 0; s < summary_words_; ++s) {
    uint64_t candidates = ~uint64_t{0};
    for (size_t d = 0; d < kDimensions; ++d) candidates &= sums[d][s] | dims_[d].any_summary()[s];
    while (candidates != 0) {
      const size_t w = s * 64 + static_cast<size_t>(std::countr_zero(candidates));
      candidates &= candidates - 1;
      uint64_t bits = ~uint64_t{0};
      for (size_t d = 0; d < kDimensions; ++d) bits &= words[d][w] | dims_[d].any_words()[w];
      while (bits != 0) {
        const size_t rule = w * 64 + static_cast<size_t>(std::countr_zero(bits));
        bits &= bits - 1;
        if (verify(rule)) return static_cast<int>(rule);
      }
    }
  }
  return -1;
}

int RuleClassifier::first_match(const std::array<uint32_t, kDimensions>& values,
                                const std::function<bool(size_t)>& verify) const {
  return search(values, verify);
}

int RuleClassifier::first_match(const std::array<uint32_t, kDimensions>& values) const {
  return search(values, [](size_t) { return true; });
}

size_t RuleClassifier::memory_bytes() const {
  size_t total = 0;
  for (const auto& d : dims_) total += d.memory_bytes();
  return total;
}

}  // namespace vfw
