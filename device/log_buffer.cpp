#include "device/log_buffer.hpp"

#include <cctype>
#include <ctime>

namespace vfw {
namespace {

// "2026-12-06 19:44:56.710 " (and "FW1 " after it): what vfw's log lines may begin with.
std::string_view without_timestamp(std::string_view line) {
  if (line.size() > 24 && std::isdigit(static_cast<unsigned char>(line[0])) && line[4] == '-' &&
      line[10] == ' ' && line[23] == ' ')
    line.remove_prefix(24);
  return line;
}

// MODULE/LEVEL/MNEMONIC at the start of the line, up to ": ".
bool split(std::string_view line, std::string& module, std::string& text) {
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos) return false;
  const std::string_view head = line.substr(0, colon);
  const size_t a = head.find('/');
  const size_t b = a == std::string_view::npos ? a : head.find('/', a + 1);
  if (b == std::string_view::npos || head.find(' ') != std::string_view::npos) return false;
  module = std::string(head);
  text = std::string(line.substr(colon + 2));
  return true;
}

}  // namespace

std::string log_safe(std::string_view line) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(line.size());
  for (const char ch : line) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  return out;
}

void LogBuffer::add(std::string_view raw, int64_t epoch_ms, char kind) {
  const std::string safe = log_safe(raw);
  std::string_view line = without_timestamp(safe);
  Line l{epoch_ms, next_++, kind, "", ""};
  if (!split(line, l.module, l.text)) {
    // A line that names no module: the host's own, as vfw's.
    const size_t space = line.find(' ');
    if (space != std::string_view::npos && split(line.substr(space + 1), l.module, l.text)) {
      // "FW1 IKE/4/X: text": the sysname before the module.
    } else {
      l.module = "VFW/6/LOG";
      l.text = std::string(line);
    }
  }
  lines_.push_back(std::move(l));
  if (lines_.size() > kSize) {
    lines_.pop_front();
    ++overwritten_;
  }
}

std::string LogBuffer::display(const std::string& sysname) const {
  std::string o = "Logging buffer configuration and contents : enabled\n";
  o += "Allowed max buffer size : " + std::to_string(kMaxSize) + "\n";
  o += "Actual buffer size : " + std::to_string(kSize) + "\n";
  o += "Channel number : 4 , Channel name : logbuffer\n";
  o += "Dropped messages : 0\n";
  o += "Overwritten messages : " + std::to_string(overwritten_) + "\n";
  o += "Current messages : " + std::to_string(lines_.size()) + "\n\n";
  for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
    const std::time_t seconds = static_cast<std::time_t>(it->epoch_ms / 1000);
    std::tm tm{};
    localtime_r(&seconds, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%b %e %Y %H:%M:%S", &tm);
    o += std::string(when) + " " + sysname + " %%01" + it->module + "(" + it->kind + ")[" +
         std::to_string(it->sequence) + "]:" + it->text + "\n";
  }
  return o;
}

}  // namespace vfw
