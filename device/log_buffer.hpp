// The device's log buffer (display logbuffer): the log lines vfw writes (IKE, SSH, the CLI's
// configuration commands, save), kept newest last in a ring of the device's size, printed in the
// device's line format, "%%01MODULE/LEVEL/MNEMONIC(l)[n]:text".
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace vfw {

// A log line as it may be written anywhere (the console, the log buffer, a syslog host): every
// byte below 0x20 or at 0x7f (a newline that would start a forged record, an escape sequence
// that would drive the reader's terminal) shown as \xNN, so that what came from outside (user
// names, SSH banners, IKE identities) reads as data, one record one line. Applying it twice
// changes nothing more.
std::string log_safe(std::string_view line);

class LogBuffer {
 public:
  // The device's logbuffer channel: 512 messages by default, 1024 at most.
  static constexpr size_t kSize = 512;
  static constexpr size_t kMaxSize = 1024;

  // A line in vfw's words, "IKE/4/NEGOTIATION: text" (a timestamp before it is dropped: the
  // buffer stamps its own). kind: 'l' a log, 's' a security (audit) log.
  void add(std::string_view line, int64_t epoch_ms, char kind = 'l');
  // The display, newest first, with sysname in each line.
  std::string display(const std::string& sysname) const;
  size_t size() const { return lines_.size(); }

 private:
  struct Line {
    int64_t epoch_ms;
    uint64_t sequence;
    char kind;
    std::string module;  // IKE/4/NEGOTIATION
    std::string text;
  };
  std::deque<Line> lines_;
  uint64_t next_ = 0;
  uint64_t overwritten_ = 0;
};

}  // namespace vfw
