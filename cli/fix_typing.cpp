#include "cli/fix_typing.hpp"

#include "cli/line_runner.hpp"
#include "device/device.hpp"

namespace vfw::cli {
namespace {

// The first line of an answer that says something (not the caret line).
std::string first_line(const std::string& text) {
  std::string line;
  for (size_t at = 0; at < text.size();) {
    const size_t nl = text.find('\n', at);
    line = text.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
    if (line.find_first_not_of(" ^") != std::string::npos) break;
    at = nl == std::string::npos ? text.size() : nl + 1;
  }
  return line;
}

}  // namespace

Expected<config::Config> apply_fix(const config::Config& cfg,
                                   const std::vector<std::string>& lines) {
  Device d(cfg, 1024);
  LineRunner r(d);
  for (const auto& line : lines) {
    LineOutput out = r.run(line, 0);
    if (out.ok && !out.question.empty()) out = r.answer(true);
    if (!out.ok) {
      const auto first = line.find_first_not_of(' ');
      return fail("`" + (first == std::string::npos ? line : line.substr(first)) +
                  "`: " + first_line(out.err + out.out));
    }
  }
  return d.config();
}

}  // namespace vfw::cli
