// The terminal around the command engine: prompts, errors with the caret, script mode.
//
// Interactive (standard input a terminal): the prompt, then each line as typed. Script mode
// (standard input not a terminal): each line runs as typed, output to standard output, errors to
// standard error, and the exit status is 1 if any line failed.
#pragma once

#include <istream>
#include <ostream>
#include <string>

#include "device/device.hpp"

namespace vfw {

struct CliOptions {
  bool interactive = false;
  bool echo_prompt = false;  // print the prompt before each line (interactive)
};

// Runs lines from in until end of input or quit from user view; returns the exit status.
int run_cli(Device& device, std::istream& in, std::ostream& out, std::ostream& err,
            const CliOptions& options);

// One line in the device's context; output and errors appended to out/err. Returns false on error.
bool run_cli_line(Device& device, const std::string& line, std::ostream& out, std::ostream& err,
                  size_t caret_offset);

}  // namespace vfw
