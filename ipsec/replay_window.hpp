// Anti-replay (RFC 4303 section 3.4.3): a sliding window of the last W sequence numbers
// received, W up to 1024. check() before the ICV is verified (cheap rejection), update() after.
#pragma once

#include <array>
#include <cstdint>

namespace vfw::ipsec {

class ReplayWindow {
 public:
  explicit ReplayWindow(uint32_t size = 64) : size_(size > kMax ? kMax : size) {}
  uint32_t size() const { return size_; }
  uint32_t highest() const { return highest_; }

  bool check(uint32_t seq) const {
    if (seq == 0) return false;  // sequence numbers start at 1
    if (seq > highest_) return true;
    const uint32_t behind = highest_ - seq;
    return behind < size_ && !test(behind);
  }

  void update(uint32_t seq) {
    if (seq > highest_) {
      shift(seq - highest_);
      highest_ = seq;
      set(0);
    } else {
      set(highest_ - seq);
    }
  }

 private:
  static constexpr uint32_t kMax = 1024;
  // Bit i set: highest_ - i was received.
  bool test(uint32_t i) const { return (bits_[i / 64] >> (i % 64) & 1U) != 0; }
  void set(uint32_t i) { bits_[i / 64] |= uint64_t{1} << (i % 64); }
  void shift(uint32_t n) {
    if (n >= kMax) {
      bits_.fill(0);
      return;
    }
    const uint32_t words = n / 64;
    const uint32_t rest = n % 64;
    for (size_t i = bits_.size(); i-- > 0;) {
      uint64_t v = i >= words ? bits_[i - words] << rest : 0;
      if (rest != 0 && i >= words + 1) v |= bits_[i - words - 1] >> (64 - rest);
      bits_[i] = v;
    }
  }
  uint32_t size_;
  uint32_t highest_ = 0;
  std::array<uint64_t, kMax / 64> bits_{};
};

}  // namespace vfw::ipsec
