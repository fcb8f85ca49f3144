// The terminal around the command engine.
//
// Script mode (standard input not a terminal, or `vfw cli -c`): the lines run as typed at a login,
// from user view, output to standard output, errors to standard error after `line N: TEXT`, the
// exit status is 1 if any line failed; a question (save's [Y/N]) is answered by the next line, as
// a person types it, and nothing pages. Interactive mode (a terminal): libedit line editing and
// history, `?` help, Tab completion, Ctrl+Z back to user view, and output longer than the screen
// paged with "  ---- More ----" until `screen-length 0 temporary`.
//
// Both modes take `| include REGEX`, `| exclude REGEX` and `| begin REGEX` after display commands,
// and a line ending in `?` lists what may come next.
#pragma once

#include <functional>
#include <istream>
#include <ostream>
#include <string>
#include <vector>

#include "cli/line_runner.hpp"
#include "device/device.hpp"

namespace vfw {

struct CliOptions {
  std::string save_path = "vrpcfg.cfg";  // where `save` without a file name writes
};

// Script mode over a stream (standard input, or the lines of `vfw cli -c`).
int run_cli(Device& device, std::istream& in, std::ostream& out, std::ostream& err,
            const CliOptions& options);

// Interactive mode on the controlling terminal (standard input and output).
int run_terminal(Device& device, const CliOptions& options);

// The same terminal around another console (the lab's): the runner whose view gives the prompt,
// `?` and Tab (it may change from one line to the next), and what runs a line.
struct TerminalHooks {
  std::function<LineRunner&()> runner;
  std::function<LineOutput(const std::string& line, size_t caret_offset)> run;
  // What `?` lists for the line typed so far; unset: the runner's help.
  std::function<std::string(const std::string& typed)> help;
  // What Tab may complete the last word to; unset: the runner's command tree.
  std::function<std::vector<std::string>(const std::string& typed)> complete;
};
int run_terminal(const TerminalHooks& hooks);

// A question the CLI asks on the terminal (save's "[Y/N]"): one key, echoed.
bool ask_on_terminal(const std::string& question);

}  // namespace vfw
