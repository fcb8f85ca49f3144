// CLI lines as a user types them, in every view they lead to: each line run, and also asked
// for `?` help and Tab completion, with display filters among them. The session is read-only
// (save refuses), so nothing is written.
#include <cstdint>
#include <string>

#include "cli/line_runner.hpp"
#include "fuzz_common.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::leave_the_source_tree();
  static const config::Config start = fuzz::example("ipsec-manual-fw1.cfg");
  if (size > 4096) return 0;
  Device device(start, 1024);  // a small session table: a fresh device per input
  LineRunner runner(device);
  runner.ctx.read_only = true;
  const std::string input(reinterpret_cast<const char*>(data), size);
  size_t pos = 0;
  for (int lines = 0; pos <= input.size() && lines < 64; ++lines) {
    size_t end = input.find('\n', pos);
    if (end == std::string::npos) end = input.size();
    const std::string line = input.substr(pos, end - pos);
    pos = end + 1;
    (void)runner.help_text(line);
    (void)cli::command_engine().completions(runner.ctx, line);
    (void)runner.run(line, 0);
    (void)runner.run(line + "?", 0);
    if (runner.ctx.finished()) break;
  }
  return 0;
}
