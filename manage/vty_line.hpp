// The line discipline of a remote terminal (an SSH shell): the bytes a client sends become
// lines, `?` help requests, Tab completions and Ctrl+C / Ctrl+Z, and the echo to send back, as
// the device's VTY does with the terminal in raw mode. Sans-IO: bytes in, echo and events out.
//
// Keys: printable characters (and bytes >= 0x80: GBK or UTF-8 names) are typed and echoed;
// Backspace and DEL erase one; Ctrl+U erases the line; CR, LF or CR LF end it; `?` asks for help
// on what is typed so far (which stays typed); Tab asks for completion; Ctrl+C abandons the line,
// Ctrl+Z returns to user view; the up and down arrows (and Ctrl+P / Ctrl+N) walk the history;
// other escape sequences are ignored. A line never grows past kMaxCommandLine + 1 characters, so
// that an over-long line is refused whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace vfw::manage {

struct VtyEvent {
  enum class Kind : uint8_t { Line, Help, Complete, Cancel, ToUserView };
  Kind kind = Kind::Line;
  std::string text;  // the line, or what was typed when help or completion was asked
};

class VtyLine {
 public:
  explicit VtyLine(size_t max_length) : max_length_(max_length) {}

  // Takes the bytes received up to the first event, which is then in `event`; appends what to
  // echo. Returns how many bytes it took: the rest waits until the event has been answered (the
  // command's output comes before the echo of what was typed ahead).
  size_t feed(std::span<const uint8_t> bytes, std::string& echo, std::optional<VtyEvent>& event);
  // What is typed and not yet ended (reprinted after help, replaced after completion).
  const std::string& typed() const { return typed_; }
  // Replaces the typed text (Tab completion), echoing the change.
  void replace_typed(const std::string& text, std::string& echo);

  static constexpr size_t kHistory = 10;  // the device's default history size for a VTY

 private:
  void end_line(std::optional<VtyEvent>& event, std::string& echo);
  void show_history(size_t index, std::string& echo);

  enum class Escape : uint8_t { None, Started, Csi };
  size_t max_length_;
  std::string typed_;
  bool after_cr_ = false;
  Escape escape_ = Escape::None;
  std::deque<std::string> history_;
  size_t history_at_ = 0;  // history_.size(): not walking the history
};

}  // namespace vfw::manage
