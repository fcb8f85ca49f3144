// Runs one typed line against the device's command engine: the `?` help request, the
// `| include|exclude|begin` filters, the caret errors, and the snapshot swap after a change.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "cli/command_engine.hpp"
#include "device/device.hpp"

namespace vfw {

// The longest command line the device takes (VRP: 510 characters); a longer line is refused whole,
// never cut and run.
inline constexpr size_t kMaxCommandLine = 510;

struct LineOutput {
  LineOutput() = default;
  LineOutput(bool ok_, std::string out_, std::string err_)
      : ok(ok_), out(std::move(out_)), err(std::move(err_)) {}
  bool ok = true;
  std::string out;
  std::string err;
  // The command stopped at this question (save); the next line, or answer(), answers it.
  std::string question;
  // The command goes on over time (ping): step() runs it on until this is false.
  bool running = false;
};

// The refusal of a line of `characters` characters, longer than kMaxCommandLine.
LineOutput too_long_line(size_t characters);

class LineRunner {
 public:
  explicit LineRunner(Device& device);
  // caret_offset: the columns before the line on screen (the prompt), for the caret line. While a
  // question is pending, the line is its answer (y or yes; anything else is no).
  LineOutput run(const std::string& line, size_t caret_offset);
  // Answers the pending question (a terminal's key); nothing to do if none is pending.
  LineOutput answer(bool yes);
  // A command that goes on over time (ping): true until it is done; step() runs it on, at the
  // device clock's time. cancel() ends it (Ctrl+C), with what it prints when it ends.
  bool running() const { return activity_.has_value(); }
  LineOutput step();
  LineOutput cancel();
  // The question a command asked and no line has answered yet.
  const std::string* pending_question() const { return pending_ ? &pending_->text : nullptr; }
  std::string help_text(const std::string& typed) const;

  Device& device;
  cli::CommandContext ctx;

 private:
  // Runs the engine on a line or an answer, then applies what changed.
  LineOutput finish(const cli::LineResult& result, LineOutput r, size_t caret_offset);
  std::optional<cli::CommandContext::Question> pending_;
  std::optional<cli::CommandContext::Activity> activity_;
};

}  // namespace vfw
