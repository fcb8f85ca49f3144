#include "app/cli_session.hpp"

#include <algorithm>
#include <chrono>
#include <sstream>
#include <thread>

#include "cli/config_loader.hpp"
#include "cli/line_runner.hpp"

namespace vfw {
namespace {

// One line of a script, of which at most the first kMaxEchoedLine + 1 characters are kept (a longer
// line is refused, and its error shows no more): a line of any length costs bounded memory.
// characters: the line's real length. false at the end of the input.
bool read_line(std::istream& in, std::string& line, size_t& characters) {
  line.clear();
  characters = 0;
  const size_t keep = std::max(kMaxCommandLine, cli::kMaxEchoedLine) + 1;
  std::streambuf* buffer = in.rdbuf();
  for (;;) {
    const int c = buffer->sbumpc();
    if (c == std::char_traits<char>::eof()) {
      if (characters == 0) in.setstate(std::ios::eofbit);
      return characters != 0;
    }
    if (c == '\n') return true;
    if (line.size() < keep) line.push_back(static_cast<char>(c));
    ++characters;
  }
}

}  // namespace

int run_cli(Device& device, std::istream& in, std::ostream& out, std::ostream& err,
            const CliOptions& options) {
  LineRunner runner(device);
  runner.ctx.save_path = options.save_path;
  bool failed = false;
  size_t line_no = 0;
  size_t asked_at = 0;  // the line whose command asked the question still pending
  std::string asked_line;
  std::string typed;
  for (size_t characters = 0; read_line(in, typed, characters);) {
    ++line_no;
    if (!typed.empty() && typed.back() == '\r' && characters == typed.size()) {
      typed.pop_back();
      --characters;
    }
    // The answer to a question is shown after it, as a terminal echoes the key.
    if (runner.pending_question() != nullptr) out << typed << "\n";
    const LineOutput r =
        characters > kMaxCommandLine ? too_long_line(characters) : runner.run(typed, 0);
    out << r.out << r.question << std::flush;
    // A command that goes on over time (ping) runs to its end in the wall clock's time, printing
    // as it goes.
    while (runner.running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      out << runner.step().out << std::flush;
    }
    if (!r.question.empty()) {
      asked_at = line_no;
      asked_line = typed;
    }
    // In a script the error names the line and shows it, so the caret under it points at the
    // offending word.
    if (!r.err.empty()) {
      const std::string line = cli::hide_secrets(typed);
      const bool cut = characters > cli::kMaxEchoedLine;
      err << "line " << line_no << ": "
          << (cut ? line.substr(0, cli::kMaxEchoedLine) + " ... (" + std::to_string(characters) +
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
  if (runner.pending_question() != nullptr) {
    // The script ended where the device would wait for Y or N: nothing was done.
    out << "\n" << std::flush;
    err << "line " << asked_at << ": " << cli::hide_secrets(asked_line) << "\n"
        << "Error: The question was not answered (the next line answers it); nothing was done.\n"
        << std::flush;
    failed = true;
  }
  return failed ? 1 : 0;
}

}  // namespace vfw
