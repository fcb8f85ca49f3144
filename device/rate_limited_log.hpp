// At most so many log lines of one kind a second: what a flood from outside (spoofed IKE
// requests, SSH connection storms) would write line by line is counted instead, so that the log
// stays readable and its disk bounded. The count is said in the next line written
// (unlogged_note), or by whoever asks for it once a second (take_unlogged: the IKE link does);
// a flood that stops leaves its last count unsaid where no one asks.
#pragma once

#include <cstdint>
#include <string>

namespace vfw {

class RateLimitedLog {
 public:
  explicit RateLimitedLog(uint32_t per_second = 10) : per_second_(per_second) {}

  // Whether a line may be written at now_ms; false counts it.
  bool allow(uint64_t now_ms) {
    const uint64_t second = now_ms / 1000;
    if (second != second_) {
      second_ = second;
      written_ = 0;
    }
    if (written_ < per_second_) {
      ++written_;
      return true;
    }
    ++unlogged_;
    return false;
  }
  // The lines counted and not written since last asked; asking resets it.
  uint64_t take_unlogged() {
    const uint64_t n = unlogged_;
    unlogged_ = 0;
    return n;
  }
  // For the end of a line allowed after some were counted: " (N more like it were not logged)".
  std::string unlogged_note() {
    const uint64_t n = take_unlogged();
    return n == 0 ? std::string()
                  : " (" + std::to_string(n) + " more like it were not logged, at most " +
                        std::to_string(per_second_) + " a second)";
  }
  uint32_t per_second() const { return per_second_; }

 private:
  uint32_t per_second_;
  uint64_t second_ = UINT64_MAX;
  uint32_t written_ = 0;
  uint64_t unlogged_ = 0;
};

}  // namespace vfw
