#include "app/cli_session.hpp"

#include "cli/command_engine.hpp"

namespace vfw {
namespace {

// The command context lives as long as the session: it holds the view stack.
struct CliState {
  explicit CliState(Device& d) : device(d), ctx(d.edit(), &d) {}
  Device& device;
  cli::CommandContext ctx;
};

bool execute(CliState& s, const std::string& line, std::ostream& out, std::ostream& err,
             size_t caret_offset) {
  const cli::LineResult r = cli::command_engine().execute(s.ctx, line);
  out << s.ctx.take_output();
  for (const auto& notice : s.ctx.take_notices()) out << notice << "\n";
  if (!r.ok) {
    if (r.syntax) err << std::string(caret_offset + r.caret_column, ' ') << "^\n";
    err << r.error << "\n";
    return false;
  }
  s.device.apply();
  return true;
}

}  // namespace

bool run_cli_line(Device& device, const std::string& line, std::ostream& out, std::ostream& err,
                  size_t caret_offset) {
  CliState s(device);
  s.ctx.script_mode = true;
  s.ctx.enter_system();
  return execute(s, line, out, err, caret_offset);
}

int run_cli(Device& device, std::istream& in, std::ostream& out, std::ostream& err,
            const CliOptions& options) {
  CliState s(device);
  s.ctx.script_mode = !options.interactive;
  bool failed = false;
  std::string line;
  while (true) {
    if (options.echo_prompt) out << s.ctx.prompt() << std::flush;
    if (!std::getline(in, line)) break;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t caret_offset = options.echo_prompt ? s.ctx.prompt().size() : 0;
    if (!execute(s, line, out, err, caret_offset)) failed = true;
    if (s.ctx.finished()) break;
  }
  if (options.echo_prompt) out << "\n";
  return failed ? 1 : 0;
}

}  // namespace vfw
