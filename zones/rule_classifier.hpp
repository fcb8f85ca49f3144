// First-match classification of a packet against an ordered rule list, without a linear scan.
//
// Bit-vector classification (Lakshman and Stiliadis, SIGCOMM 1998) with aggregated bit vectors
// (Baboescu and Varghese, SIGCOMM 2001). Each dimension (source zone, destination zone, source
// address, destination address, service) is cut into elementary intervals at the rules'
// boundaries; each interval holds the bit set of rules that match it, and the first set bit of
// the AND over all dimensions is the first matching rule. A summary word per 64 words lets the
// lookup skip empty stretches, so a packet costs a handful of words whether there are 100 rules or
// 10,000. Rules that match a whole dimension ("any") sit in one extra bit set per dimension
// instead of in every interval.
//
// The classifier may report a candidate that a condition it does not index rules out (the source
// port of a service, an egress interface): the caller's verify() decides, and the search goes on.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

namespace vfw {

struct ValueRange {
  uint32_t lo = 0;
  uint32_t hi = 0xffffffffU;
};

// One dimension: a value per packet, a set of ranges per rule (empty set: any value).
class Dimension {
 public:
  void reset(size_t rules);
  void add(size_t rule, const std::vector<ValueRange>& ranges);  // call once per rule, in order
  void build();
  // The bit set words of the interval holding value, and the "any" words.
  const uint64_t* words_for(uint32_t value) const;
  const uint64_t* summary_for(uint32_t value) const;
  const uint64_t* any_words() const { return any_.data(); }
  const uint64_t* any_summary() const { return any_summary_.data(); }
  size_t memory_bytes() const;

 private:
  size_t interval_of(uint32_t value) const;
  size_t words_ = 0;
  size_t summary_words_ = 0;
  std::vector<std::pair<size_t, std::vector<ValueRange>>> pending_;
  std::vector<uint32_t> starts_;   // interval i covers [starts_[i], starts_[i+1])
  std::vector<uint64_t> bits_;     // intervals x words_
  std::vector<uint64_t> summary_;  // intervals x summary_words_
  std::vector<uint64_t> any_;
  std::vector<uint64_t> any_summary_;
};

class RuleClassifier {
 public:
  static constexpr size_t kDimensions =
      5;  // source zone, destination zone, source, destination, service

  // ranges[d] for each dimension d; empty = any.
  using RuleRanges = std::array<std::vector<ValueRange>, kDimensions>;
  void build(const std::vector<RuleRanges>& rules);

  // The first rule matching values[] that verify() accepts, or -1.
  int first_match(const std::array<uint32_t, kDimensions>& values,
                  const std::function<bool(size_t)>& verify) const;
  // The same without a verifier: every indexed condition is exact.
  int first_match(const std::array<uint32_t, kDimensions>& values) const;
  size_t rule_count() const { return rules_; }
  size_t memory_bytes() const;

 private:
  template <typename Verify>
  int search(const std::array<uint32_t, kDimensions>& values, Verify&& verify) const;
  size_t rules_ = 0;
  size_t words_ = 0;
  size_t summary_words_ = 0;
  std::array<Dimension, kDimensions> dims_;
};

}  // namespace vfw
