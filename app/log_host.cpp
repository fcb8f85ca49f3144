#include "app/log_host.hpp"

#include <cctype>
#include <cstdio>

namespace vfw {
namespace {

constexpr int kLocal7 = 23;

bool upper_word(std::string_view s) {
  if (s.empty()) return false;
  for (const char c : s) {
    if (!std::isupper(static_cast<unsigned char>(c)) &&
        !std::isdigit(static_cast<unsigned char>(c)) && c != '_')
      return false;
  }
  return true;
}

}  // namespace

std::optional<std::string> syslog_message(std::string_view line, const std::string& sysname,
                                          std::time_t now) {
  // The record's MODULE/N/BRIEF: the first word of that shape followed by ": ".
  for (size_t start = 0; start < line.size();) {
    const size_t end = line.find(' ', start);
    const std::string_view word =
        line.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const size_t a = word.find('/');
    const size_t b = a == std::string_view::npos ? a : word.find('/', a + 1);
    if (b != std::string_view::npos && b == a + 2 && word.size() > b + 2 && word.back() == ':' &&
        upper_word(word.substr(0, a)) && word[a + 1] >= '0' && word[a + 1] <= '7' &&
        upper_word(word.substr(b + 1, word.size() - b - 2))) {
      const int severity = word[a + 1] - '0';
      const std::string_view text =
          end == std::string_view::npos ? std::string_view() : line.substr(end + 1);
      std::tm t{};
      gmtime_r(&now, &t);
      char date[32];
      std::strftime(date, sizeof date, "%b %d %Y %H:%M:%S", &t);
      return "<" + std::to_string(kLocal7 * 8 + severity) + ">" + date + " " + sysname + " %%01" +
             std::string(word.substr(0, word.size() - 1)) + "(l):" + std::string(text);
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return std::nullopt;
}

}  // namespace vfw
