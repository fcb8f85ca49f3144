// Interactive mode: libedit for line editing and history, with the VRP keys bound to our
// functions: `?` help, Tab completion, Ctrl+Z back to user view. Output pages at the screen height.
#include <histedit.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include <chrono>
#include <thread>

#include <cstdio>
#include <iostream>

#include "app/cli_session.hpp"
#include "cli/line_runner.hpp"

namespace vfw {
namespace {

struct Terminal {
  TerminalHooks hooks;
  std::string prompt;
  bool ctrl_z = false;
  bool ctrl_c = false;
  LineRunner& runner() { return hooks.runner(); }
};

Terminal* terminal_of(EditLine* el) {
  void* data = nullptr;
  el_get(el, EL_CLIENTDATA, &data);
  return static_cast<Terminal*>(data);
}

char* prompt_of(EditLine* el) {
  Terminal* t = terminal_of(el);
  t->prompt = t->runner().ctx.prompt();
  return t->prompt.data();
}

std::string typed_so_far(EditLine* el) {
  const LineInfo* li = el_line(el);
  return std::string(li->buffer, static_cast<size_t>(li->cursor - li->buffer));
}

// `?`: list what may come next, then give the line back as it was.
unsigned char on_help(EditLine* el, int) {
  Terminal* t = terminal_of(el);
  const std::string typed = typed_so_far(el);
  std::string text = t->hooks.help ? t->hooks.help(typed) : t->runner().help_text(typed);
  std::fputs("?\n", stdout);
  if (text.empty()) {
    const size_t col = t->prompt.size() + typed.find_first_not_of(' ');
    text = std::string(col, ' ') + "^\nError: Unrecognized command found at '^' position.\n";
  }
  std::fputs(text.c_str(), stdout);
  std::fflush(stdout);
  return CC_REDISPLAY;
}

// Tab: complete the keyword being typed; list the choices when there are several.
unsigned char on_complete(EditLine* el, int) {
  Terminal* t = terminal_of(el);
  const std::string typed = typed_so_far(el);
  const auto choices = t->hooks.complete
                           ? t->hooks.complete(typed)
                           : cli::command_engine().completions(t->runner().ctx, typed);
  if (choices.empty()) return CC_REFRESH_BEEP;
  const size_t start =
      typed.find_last_of(" \t") == std::string::npos ? 0 : typed.find_last_of(" \t") + 1;
  const size_t have = typed.size() - start;
  std::string common = choices.front();
  for (const auto& c : choices) {
    size_t n = 0;
    while (n < common.size() && n < c.size() && common[n] == c[n]) ++n;
    common.resize(n);
  }
  if (choices.size() == 1) {
    el_insertstr(el, (choices.front().substr(have) + " ").c_str());
    return CC_REFRESH;
  }
  if (common.size() > have) {
    el_insertstr(el, common.substr(have).c_str());
    return CC_REFRESH;
  }
  std::fputs("\n", stdout);
  for (const auto& c : choices) std::printf("  %s\n", c.c_str());
  std::fflush(stdout);
  return CC_REDISPLAY;
}

// Ends the line being edited without running it. el_gets() returns NULL for an empty buffer
// (its end-of-file), so the buffer is left holding a newline.
unsigned char abandon_line(EditLine* el) {
  const LineInfo* li = el_line(el);
  el_cursor(el, static_cast<int>(li->lastchar - li->cursor));
  el_deletestr(el, static_cast<int>(el_line(el)->cursor - el_line(el)->buffer));
  el_insertstr(el, "\n");
  return CC_NEWLINE;
}

// Ctrl+Z: back to user view, as `return` does on the device.
unsigned char on_ctrl_z(EditLine* el, int) {
  terminal_of(el)->ctrl_z = true;
  return abandon_line(el);
}

unsigned char on_ctrl_c(EditLine* el, int) {
  terminal_of(el)->ctrl_c = true;
  return abandon_line(el);
}

int screen_rows() {
  winsize w{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_row > 1) return w.ws_row;
  return 24;
}

// One key, unbuffered and unechoed.
// A key typed within ms milliseconds, read without waiting for Enter; -1 when none came.
int key_waiting(int ms) {
  termios old{};
  if (tcgetattr(STDIN_FILENO, &old) != 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    return -1;
  }
  termios raw = old;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO | ISIG));
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  pollfd p{STDIN_FILENO, POLLIN, 0};
  unsigned char c = 0;
  const bool got = ::poll(&p, 1, ms) == 1 && read(STDIN_FILENO, &c, 1) == 1;
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  return got ? c : -1;
}

int read_key() {
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios raw = old;
  raw.c_lflag &= static_cast<tcflag_t>(~(ICANON | ECHO | ISIG));
  raw.c_cc[VMIN] = 1;
  raw.c_cc[VTIME] = 0;
  tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  unsigned char c = 0;
  const ssize_t n = read(STDIN_FILENO, &c, 1);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  return n == 1 ? c : -1;
}

// Pages output as the device does: a screen less one line, then "  ---- More ----"; space for the
// next page, Enter for one more line, anything else stops.
void page(const std::string& text, int screen_length) {
  if (screen_length == 0) {
    std::fputs(text.c_str(), stdout);
    return;
  }
  const int page_lines = (screen_length > 0 ? screen_length : screen_rows()) - 1;
  int budget = page_lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    end = end == std::string::npos ? text.size() : end + 1;
    if (budget == 0) {
      std::fputs("  ---- More ----", stdout);
      std::fflush(stdout);
      const int key = read_key();
      std::fputs("\r                \r", stdout);
      if (key == ' ') {
        budget = page_lines;
      } else if (key == '\r' || key == '\n') {
        budget = 1;
      } else {
        return;
      }
    }
    std::fwrite(text.data() + pos, 1, end - pos, stdout);
    pos = end;
    --budget;
  }
}

}  // namespace

bool ask_on_terminal(const std::string& question) {
  std::fputs(question.c_str(), stdout);
  std::fflush(stdout);
  const int key = read_key();
  std::printf("%c\n", key > 0 ? key : ' ');
  return key == 'y' || key == 'Y';
}

int run_terminal(Device& device, const CliOptions& options) {
  LineRunner runner(device);
  runner.ctx.save_path = options.save_path;
  TerminalHooks hooks;
  hooks.runner = [&]() -> LineRunner& { return runner; };
  hooks.run = [&](const std::string& line, size_t caret) { return runner.run(line, caret); };
  return run_terminal(hooks);
}

int run_terminal(const TerminalHooks& hooks) {
  Terminal t{hooks, {}, false, false};

  // Ctrl+Z and Ctrl+C are keys of the CLI, not signals, also while a command runs or when typed
  // ahead of the prompt: ISIG is off for the whole session (libedit takes these settings as its
  // "cooked" mode) and restored at the end.
  termios saved{};
  const bool have_tty = tcgetattr(STDIN_FILENO, &saved) == 0;
  if (have_tty) {
    termios quiet = saved;
    quiet.c_lflag &= static_cast<tcflag_t>(~ISIG);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }

  EditLine* el = el_init("vfw", stdin, stdout, stderr);
  History* hist = history_init();
  HistEvent ev;
  history(hist, &ev, H_SETSIZE, 1000);
  el_set(el, EL_CLIENTDATA, &t);
  el_set(el, EL_PROMPT, prompt_of);
  el_set(el, EL_EDITOR, "emacs");
  el_set(el, EL_HIST, history, hist);
  // Ctrl+Z and Ctrl+C reach the editor instead of suspending or killing the program.
  el_set(el, EL_SETTY, "-d", "-isig", nullptr);
  el_set(el, EL_ADDFN, "vrp-help", "List what may come next", on_help);
  el_set(el, EL_ADDFN, "vrp-complete", "Complete the keyword", on_complete);
  el_set(el, EL_ADDFN, "vrp-return", "Return to user view", on_ctrl_z);
  el_set(el, EL_ADDFN, "vrp-cancel", "Abandon the line", on_ctrl_c);
  el_set(el, EL_BIND, "?", "vrp-help", nullptr);
  el_set(el, EL_BIND, "^I", "vrp-complete", nullptr);
  el_set(el, EL_BIND, "^Z", "vrp-return", nullptr);
  el_set(el, EL_BIND, "^C", "vrp-cancel", nullptr);

  while (true) {
    int count = 0;
    const char* got = el_gets(el, &count);
    if (got == nullptr) {
      std::fputs("\n", stdout);
      break;
    }
    std::string line(got, static_cast<size_t>(count));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (t.ctrl_c) {
      t.ctrl_c = false;
      std::fputs("\n", stdout);
      continue;
    }
    if (t.ctrl_z) {
      t.ctrl_z = false;
      std::fputs("\n", stdout);
      line = "return";
    }
    if (line.find_first_not_of(" \t") != std::string::npos)
      history(hist, &ev, H_ENTER, line.c_str());
    const size_t caret_offset = t.runner().ctx.prompt().size();
    LineOutput r = t.hooks.run(line, caret_offset);
    page(r.out, t.runner().ctx.screen_length);
    std::fputs(r.err.c_str(), stdout);
    // A command that asks (save) has printed what comes before its question; the key pressed
    // answers it and the command goes on.
    if (!r.question.empty()) {
      r = t.runner().answer(ask_on_terminal(r.question));
      page(r.out, t.runner().ctx.screen_length);
      std::fputs(r.err.c_str(), stdout);
    }
    // A command that goes on over time (ping) prints as it goes, in the wall clock's time, until
    // it ends or Ctrl+C interrupts it.
    while (t.runner().running()) {
      std::fflush(stdout);
      const bool interrupt = key_waiting(5) == 3;
      std::fputs((interrupt ? t.runner().cancel() : t.runner().step()).out.c_str(), stdout);
    }
    std::fflush(stdout);
    if (t.runner().ctx.finished()) break;
  }
  history_end(hist);
  el_end(el);
  if (have_tty) tcsetattr(STDIN_FILENO, TCSANOW, &saved);
  return 0;  // an interactive session ends normally, whatever was mistyped on the way
}

}  // namespace vfw
