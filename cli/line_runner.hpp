// Runs one typed line against the device's command engine: the `?` help request, the
// `| include|exclude|begin` filters, the caret errors, and the snapshot swap after a change.
#pragma once

#include <string>

#include "cli/command_engine.hpp"
#include "device/device.hpp"

namespace vfw {

// The longest command line the device takes (VRP: 510 characters); a longer line is refused whole,
// never cut and run.
inline constexpr size_t kMaxCommandLine = 510;

struct LineOutput {
  bool ok = true;
  std::string out;
  std::string err;
};

// The refusal of a line of `characters` characters, longer than kMaxCommandLine.
LineOutput too_long_line(size_t characters);

class LineRunner {
 public:
  LineRunner(Device& device, bool script_mode);
  // caret_offset: the columns before the line on screen (the prompt), for the caret line.
  LineOutput run(const std::string& line, size_t caret_offset);
  std::string help_text(const std::string& typed) const;

  Device& device;
  cli::CommandContext ctx;
};

}  // namespace vfw
