// What an SSH client types, byte for byte, through the VTY's line discipline and into a CLI
// session, as manage/ssh_server.cpp runs it: lines run, `?` asks for help, Tab completes, Ctrl+C
// and Ctrl+Z, escape sequences and over-long lines. Read-only: nothing is written.
#include <cstdint>
#include <string>

#include "cli/line_runner.hpp"
#include "fuzz_common.hpp"
#include "manage/vty_line.hpp"

using namespace vfw;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::leave_the_source_tree();
  static const config::Config start = fuzz::example("fw1.cfg");
  if (size > 8192) return 0;
  Device device(start, 1024);
  LineRunner runner(device);
  runner.ctx.read_only = true;
  manage::VtyLine vty(kMaxCommandLine + 1);
  std::span<const uint8_t> rest(data, size);
  for (int events = 0; !rest.empty() && events < 128; ++events) {
    std::string echo;
    std::optional<manage::VtyEvent> event;
    const size_t taken = vty.feed(rest, echo, event);
    if (taken == 0) __builtin_trap();  // the session would spin
    rest = rest.subspan(taken);
    if (!event) break;
    using Kind = manage::VtyEvent::Kind;
    switch (event->kind) {
      case Kind::Line:
      case Kind::Help:
        (void)runner.run(event->text, runner.ctx.prompt().size());
        break;
      case Kind::ToUserView:
        (void)runner.run("return", 0);
        break;
      case Kind::Complete: {
        const auto choices = cli::command_engine().completions(runner.ctx, event->text);
        if (choices.size() == 1) vty.replace_typed(event->text + choices.front(), echo);
        break;
      }
      case Kind::Cancel:
        break;
    }
    if (runner.ctx.finished()) break;
  }
  return 0;
}
