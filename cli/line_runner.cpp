#include "cli/line_runner.hpp"

#include <re2/re2.h>
#include <algorithm>
#include <cctype>
#include <utility>

#include <memory>

namespace vfw {
namespace {

bool prefix_of(std::string_view word, std::string_view full) {
  return !word.empty() && word.size() <= full.size() && full.substr(0, word.size()) == word;
}

// The device takes a regular expression of up to 255 characters after `| include`.
constexpr size_t kMaxPattern = 255;
// RE2 matches in time linear in the text, whatever the pattern, within this much memory: a
// pattern that needs more is refused when it is compiled, never run out of control.
constexpr int64_t kPatternMemory = 1 << 20;

std::string filter_output(const std::string& text, const std::string& mode, const RE2& re) {
  std::string out;
  bool begun = false;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    const bool hit = RE2::PartialMatch(line, re);
    bool keep = false;
    if (mode == "include") keep = hit;
    if (mode == "exclude") keep = !hit;
    if (mode == "begin") keep = begun = begun || hit;
    if (keep) out += line + "\n";
  }
  return out;
}

}  // namespace

LineOutput too_long_line(size_t characters) {
  LineOutput r;
  r.ok = false;
  r.err = "Error: The command line is too long: " + std::to_string(characters) +
          " characters, at most " + std::to_string(kMaxCommandLine) + ".\n";
  return r;
}

LineRunner::LineRunner(Device& d) : device(d), ctx(d.edit(), &d) {}

LineOutput LineRunner::step() {
  LineOutput r;
  if (!activity_) return r;
  const bool done = (*activity_)(ctx);
  r.out = ctx.take_output();
  if (done) activity_.reset();
  r.running = activity_.has_value();
  return r;
}

LineOutput LineRunner::cancel() {
  if (!activity_) return {};
  ctx.interrupted = true;
  LineOutput r = step();
  ctx.interrupted = false;
  activity_.reset();
  r.running = false;
  return r;
}

LineOutput LineRunner::answer(bool yes) {
  if (!pending_) return {};
  const cli::CommandContext::Question q = std::exchange(pending_, std::nullopt).value();
  cli::LineResult result;
  if (Status done = q.then(ctx, yes); !done)
    result = cli::LineResult{false, std::move(done).error().message, 0, false};
  result.may_change_config = false;
  return finish(result, {}, 0);
}

std::string LineRunner::help_text(const std::string& typed) const {
  const auto items = cli::command_engine().help(ctx, typed);
  if (items.empty()) return "";
  size_t width = 0;
  for (const auto& [word, text] : items) width = std::max(width, word.size());
  std::string out;
  for (const auto& [word, text] : items) {
    out += "  " + word;
    if (!text.empty()) out += std::string(width - word.size() + 2, ' ') + text;
    out += "\n";
  }
  return out;
}

LineOutput LineRunner::run(const std::string& raw, size_t caret_offset) {
  LineOutput r;
  std::string line = raw;
  auto syntax_error = [&](const cli::SyntaxError& e) {
    r.ok = false;
    r.err = std::string(caret_offset + e.column, ' ') + "^\n" + e.message() + "\n";
    return r;
  };

  if (line.size() > kMaxCommandLine) return too_long_line(line.size());
  if (pending_) {
    // The answer to the question the last command asked, as the device reads it: Y or N.
    const auto words = cli::tokenize(line);
    std::string word = words.size() == 1 ? std::string(words.front().text) : "";
    for (char& c : word) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return answer(word == "y" || word == "yes");
  }

  // "display ?" and "dis?": what may come next.
  const size_t last = line.find_last_not_of(" \t");
  if (last != std::string::npos && line[last] == '?') {
    const std::string typed = line.substr(0, last);
    r.out = help_text(typed);
    if (r.out.empty())
      return syntax_error({cli::ErrorKind::Unrecognized, typed.find_first_not_of(' ')});
    return r;
  }

  // display ... | include|exclude|begin REGEX
  std::string filter_mode;
  std::unique_ptr<RE2> filter;
  if (const size_t bar = line.find(" | "); bar != std::string::npos) {
    const auto first = cli::tokenize(line);
    const auto tail = cli::tokenize(std::string_view(line).substr(bar + 3));
    if (first.empty() || !prefix_of(first[0].text, "display"))
      return syntax_error({cli::ErrorKind::Unrecognized, bar + 1});
    if (tail.empty()) return syntax_error({cli::ErrorKind::Incomplete, bar + 3});
    for (const char* mode : {"include", "exclude", "begin"}) {
      if (prefix_of(tail[0].text, mode)) filter_mode = mode;
    }
    if (filter_mode.empty())
      return syntax_error({cli::ErrorKind::Unrecognized, bar + 3 + tail[0].column});
    if (tail.size() < 2) return syntax_error({cli::ErrorKind::Incomplete, line.size() + 1});
    const std::string pattern = line.substr(bar + 3 + tail[1].column);
    RE2::Options options;
    options.set_max_mem(kPatternMemory);
    options.set_log_errors(false);
    filter = std::make_unique<RE2>(pattern, options);
    if (pattern.size() > kMaxPattern || !filter->ok())
      return syntax_error({cli::ErrorKind::WrongParameter, bar + 3 + tail[1].column});
    line = line.substr(0, bar);
  }

  const cli::LineResult result = cli::command_engine().execute(ctx, line);
  r.out = ctx.take_output();
  if (!filter_mode.empty()) r.out = filter_output(r.out, filter_mode, *filter);
  return finish(result, std::move(r), caret_offset);
}

LineOutput LineRunner::finish(const cli::LineResult& result, LineOutput r, size_t caret_offset) {
  r.out += ctx.take_output();
  for (const auto& notice : ctx.take_notices()) r.out += notice + "\n";
  if (auto q = ctx.take_question()) {
    r.question = q->text;
    pending_ = std::move(q);
  }
  if (auto a = ctx.take_activity()) activity_ = std::move(a);
  r.running = activity_.has_value();
  if (!result.ok) {
    r.ok = false;
    if (result.syntax) r.err = std::string(caret_offset + result.caret_column, ' ') + "^\n";
    r.err += result.error + "\n";
    return r;
  }
  if (result.may_change_config && !ctx.current_line.empty()) {
    // As the device records the commands that configure it (its audit log).
    device.log("SHELL/5/CMDRECORD: Recorded command information. (Command=\"" +
                   cli::hide_secrets(cli::trim_right(ctx.current_line)) + "\")",
               's');
  }
  if (result.may_change_config) {
    // What only making the SAs finds (a manual SA key of the wrong length for its proposal) is
    // told to whoever typed the line that made it so.
    const std::vector<std::string> before = device.sa_errors();
    device.apply();
    for (const auto& e : device.sa_errors()) {
      if (std::find(before.begin(), before.end(), e) == before.end())
        r.err += "Warning: " + e + "\n";
    }
  }
  return r;
}

}  // namespace vfw
