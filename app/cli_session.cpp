#include "app/cli_session.hpp"

#include <sstream>

#include "app/line_runner.hpp"
#include "cli/config_loader.hpp"

namespace vfw {

bool run_cli_line(Device& device, const std::string& line, std::ostream& out, std::ostream& err) {
  LineRunner runner(device, true);
  runner.ctx.enter_system();
  const LineOutput r = runner.run(line, 0);
  out << r.out;
  err << r.err;
  return r.ok;
}

int run_cli(Device& device, std::istream& in, std::ostream& out, std::ostream& err,
            const CliOptions& options) {
  LineRunner runner(device, true);
  runner.ctx.save_path = options.save_path;
  bool failed = false;
  size_t line_no = 0;
  for (std::string typed; std::getline(in, typed);) {
    ++line_no;
    if (!typed.empty() && typed.back() == '\r') typed.pop_back();
    const LineOutput r = runner.run(typed, 0);
    out << r.out << std::flush;
    // In a script the error names the line and shows it, so the caret under it points at the
    // offending word.
    if (!r.err.empty()) {
      const std::string line = cli::hide_secrets(typed);
      const bool cut = line.size() > cli::kMaxEchoedLine;
      err << "line " << line_no << ": "
          << (cut ? line.substr(0, cli::kMaxEchoedLine) + " ... (" + std::to_string(line.size()) +
                        " characters)"
                  : line)
          << "\n";
      // A caret under a line that is not shown whole would point nowhere: the message alone.
      const size_t caret_end = r.err.find("^\n");
      const bool caret_first =
          caret_end != std::string::npos && r.err.find_first_not_of(' ') == caret_end;
      err << (cut && caret_first ? r.err.substr(caret_end + 2) : r.err) << std::flush;
    }
    if (!r.ok) failed = true;
    if (runner.ctx.finished()) break;
  }
  return failed ? 1 : 0;
}

}  // namespace vfw
