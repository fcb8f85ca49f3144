#include <catch2/catch.hpp>
#include <random>

#include "zones/rule_classifier.hpp"

using namespace vfw;

namespace {

bool in(const std::vector<ValueRange>& ranges, uint32_t v) {
  if (ranges.empty()) return true;
  for (const auto& r : ranges) {
    if (v >= r.lo && v <= r.hi) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("the classifier finds the first matching rule, as a linear scan would", "[policy]") {
  std::mt19937 rng_engine(7);
  auto rng = [&] { return static_cast<uint32_t>(rng_engine()); };
  for (size_t count : {1u, 63u, 64u, 65u, 700u, 5000u}) {
    std::vector<RuleClassifier::RuleRanges> rules(count);
    for (auto& r : rules) {
      for (size_t d = 0; d < RuleClassifier::kDimensions; ++d) {
        if (rng() % 3 == 0) continue;  // any
        const size_t n = 1 + rng() % 2;
        for (size_t k = 0; k < n; ++k) {
          const uint32_t lo = d < 2 ? rng() % 6 : static_cast<uint32_t>(rng()) & 0xfff00000U;
          const uint32_t span = d < 2 ? 0 : (rng() % 4 == 0 ? 0xffffffU : 0xffffU);
          r[d].push_back({lo, lo + std::min<uint32_t>(span, 0xffffffffU - lo)});
        }
      }
    }
    RuleClassifier c;
    c.build(rules);
    for (int i = 0; i < 3000; ++i) {
      std::array<uint32_t, RuleClassifier::kDimensions> v{};
      const auto& pick = rules[rng() % count];
      for (size_t d = 0; d < v.size(); ++d) {
        v[d] = d < 2 ? rng() % 6 : static_cast<uint32_t>(rng());
        if (!pick[d].empty() && rng() % 2 == 0)
          v[d] = pick[d][0].lo + (pick[d][0].hi - pick[d][0].lo) / 2;
      }
      int expected = -1;
      for (size_t r = 0; r < count && expected < 0; ++r) {
        bool all = true;
        for (size_t d = 0; d < v.size(); ++d) all = all && in(rules[r][d], v[d]);
        if (all) expected = static_cast<int>(r);
      }
      REQUIRE(c.first_match(v) == expected);
    }
  }
}

TEST_CASE("a verifier can reject a candidate and the search goes on", "[policy]") {
  std::vector<RuleClassifier::RuleRanges> rules(3);  // all "any"
  RuleClassifier c;
  c.build(rules);
  const std::array<uint32_t, RuleClassifier::kDimensions> v{};
  CHECK(c.first_match(v, [](size_t r) { return r == 2; }) == 2);
  CHECK(c.first_match(v, [](size_t) { return false; }) == -1);
}
