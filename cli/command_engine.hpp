// The command engine: views, the command tree of each view, and running one line.
//
// One engine serves the configuration loader (a file is this engine run over its lines) and the
// interactive terminal. A line is matched in the current view, then in the commands valid in
// every view (display, quit, return), then in each parent view; a command that belongs to a parent
// view runs there and moves the prompt, as on the device.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/command_tree.hpp"
#include "config/model.hpp"

namespace vfw {
class Device;
}

namespace vfw::cli {

enum class View : uint8_t {
  Global,  // commands valid in every view: display, quit, return
  User,
  System,
  Interface,
  Zone,
  AclBasic,
  AclAdvanced,
  PolicySecurity,
  SecurityRule,
  PolicyNat,
  NatRule,
  PolicyTraffic,   // traffic-policy
  TrafficProfile,  // traffic-policy, profile NAME
  TrafficRule,     // traffic-policy, rule name NAME
  AddressSet,
  ServiceSet,
  AddressGroup,
  IpsecProposal,
  IpsecPolicy,
  IkeProposal,
  IkePeer,
  Opaque,  // an unemulated block (aaa, user-interface ...): lines kept verbatim
  Count,
};

struct Frame {
  View view = View::User;
  std::string object;  // the interface, zone, rule, ACL number ... the view edits
  std::string prompt;  // the part after "sysname-" in the prompt, empty for user/system
};

class CommandContext {
 public:
  CommandContext(config::Config& config, Device* device) : config_(&config), device_(device) {}

  config::Config& config() { return *config_; }
  Device* device() { return device_; }

  const Frame& frame() const { return stack_.back(); }
  const std::vector<Frame>& stack() const { return stack_; }
  void enter(View view, std::string object, std::string prompt);
  void enter_system();  // from user view: system-view
  void quit();          // one view up; from user view it ends the session
  void to_user();       // return / Ctrl+Z
  void to_system();     // the loader's "#" and top-level lines
  void pop_to(size_t depth);
  bool finished() const { return finished_; }
  std::string prompt() const;

  std::string& out() { return out_; }
  std::string take_output() { return std::exchange(out_, {}); }

  // "not emulated" notices are given once per command keyword.
  void note_unemulated(const std::string& what);
  // A file's line whose words vfw does not know, kept; near: the keyword it may misspell.
  void note_unknown(const std::string& what, const std::string& near);
  std::vector<std::string> take_notices() { return std::exchange(notices_, {}); }

  // A configuration file is being loaded: configuration commands only, and a line vfw does not
  // know is kept verbatim with the block it belongs to (CommandEngine::execute).
  bool loading = false;
  // With loading: a line vfw does not know is an error, not kept (`vfw check --strict`, for
  // hand-written files).
  bool strict = false;
  bool read_only = false;         // `save` refuses: a session that must write nothing (the fuzzers)
  std::string_view current_line;  // the line being run, as written; valid while it runs

  // A question the running command asks before it acts (save's "Are you sure to continue?[Y/N]").
  // The command stops there; the session's next line (a key, on a terminal) is the answer, and
  // `then` finishes the command with it, as the device prints the question, waits, then goes on.
  using Continuation = std::function<Status(CommandContext&, bool yes)>;
  struct Question {
    std::string text;
    Continuation then;
  };
  void ask(std::string text, Continuation then) {
    question_ = Question{std::move(text), std::move(then)};
  }
  std::optional<Question> take_question() { return std::exchange(question_, std::nullopt); }

  // A command that goes on over time (ping, tracert): it has printed its first lines; each step
  // runs it on at the device clock's time, printing as it goes, and returns true when it is done.
  // Whoever runs the session drives it: the lab moves its clock, `vfw run` its timers, `vfw cli`
  // the wall clock.
  // interrupted is set for the last step after Ctrl+C: the command ends there, printing what it
  // prints when it ends (ping its statistics).
  using Activity = std::function<bool(CommandContext&)>;
  bool interrupted = false;
  void start(Activity activity) { activity_ = std::move(activity); }
  std::optional<Activity> take_activity() { return std::exchange(activity_, std::nullopt); }
  std::string save_path = "vrpcfg.cfg";  // where `save` without a file writes
  int screen_length = -1;                // lines a page; 0: no paging; -1: the terminal's height

 private:
  config::Config* config_;
  Device* device_;
  std::vector<Frame> stack_{Frame{View::User, "", ""}};
  std::string out_;
  std::set<std::string> unemulated_seen_;
  std::vector<std::string> notices_;
  std::optional<Question> question_;
  std::optional<Activity> activity_;
  bool finished_ = false;
};

struct LineResult {
  bool ok = true;
  std::string
      error;  // the device's error text, e.g. "Error: Wrong parameter found at '^' position."
  size_t caret_column = 0;  // within the line; meaningful for syntax errors
  bool syntax = false;      // true for the five caret errors, false for a command's own error
  bool may_change_config = false;  // a configuration command ran (not display, quit, return)
};

class CommandEngine {
 public:
  CommandEngine();
  LineResult execute(CommandContext& ctx, std::string_view line) const;
  const CommandTree& tree(View view) const { return trees_[static_cast<size_t>(view)]; }

  // `?`: what may come next after the text typed so far ("<cr>" where the command may end), or
  // the keywords a partly typed word may become. Pairs of (word, description).
  std::vector<std::pair<std::string, std::string>> help(const CommandContext& ctx,
                                                        std::string_view typed) const;
  // Tab: the keywords the last, partly typed word may become.
  std::vector<std::string> completions(const CommandContext& ctx, std::string_view typed) const;
  // The trees a line typed in this view is resolved against, ranked: the view's own, the commands
  // of every view, then each parent's (block_only: the first two, a file's indented line).
  std::vector<Root> roots_for(const CommandContext& ctx, bool block_only) const;
  // The view depth a command resolved at this rank runs in (a parent's command moves the prompt).
  static size_t depth_of(const CommandContext& ctx, size_t rank);

 private:
  CommandTree& tree(View view) { return trees_[static_cast<size_t>(view)]; }
  std::array<CommandTree, static_cast<size_t>(View::Count)> trees_;

  friend void register_system_commands(CommandEngine&);
  friend void register_interface_commands(CommandEngine&);
  friend void register_object_commands(CommandEngine&);
  friend void register_policy_commands(CommandEngine&);
  friend void register_nat_commands(CommandEngine&);
  friend void register_traffic_policy_commands(CommandEngine&);
  friend void register_display_commands(CommandEngine&);
  friend void register_unemulated_commands(CommandEngine&);
  friend void register_session_commands(CommandEngine&);
  friend void register_ipsec_commands(CommandEngine&);
  friend void register_ike_commands(CommandEngine&);
  friend void register_device_vocabulary(CommandEngine&);
  friend void register_probe_commands(CommandEngine&);
};

// Where each view's commands are registered (cli/commands_*.cpp).
void register_system_commands(CommandEngine&);
void register_interface_commands(CommandEngine&);
void register_object_commands(CommandEngine&);
void register_policy_commands(CommandEngine&);
void register_nat_commands(CommandEngine&);
void register_traffic_policy_commands(CommandEngine&);  // traffic-policy: connection limits
void register_display_commands(CommandEngine&);
void register_unemulated_commands(CommandEngine&);
void register_session_commands(CommandEngine&);  // save, screen-length, packet-trace
void register_ipsec_commands(CommandEngine&);
void register_ike_commands(CommandEngine&);
void register_probe_commands(CommandEngine&);     // ping and tracert from the device itself
void register_device_vocabulary(CommandEngine&);  // after the others: fills only the gaps
// A top-level command vfw keeps verbatim without emulating it (commands_unemulated.cpp).
void add_unemulated_command(CommandTree& system_tree, const std::string& command);
// aaa and its manager-user views (commands_aaa.cpp).
void register_aaa_commands(CommandTree& system_tree);
// A line typed or loaded in an aaa view, kept where it belongs; false outside aaa views.
bool keep_aaa_view_line(CommandContext& ctx, std::string_view line);

// The ipsec policy (or policy-template entry) the current view edits.
config::IpsecPolicy* edited_ipsec_policy(CommandContext& ctx);
// The lines of the object the current view edits that vfw keeps without emulating them
// (commands_unemulated.cpp); nullptr in a view that edits no object.
std::vector<std::string>* unemulated_lines(CommandContext& ctx);
// Keeps a top-level line vfw does not emulate, and the indented lines that follow, as a block.
// near: a keyword the line's unknown word may misspell, named in the notice.
void keep_unemulated_block(CommandContext& ctx, std::string_view line, std::string_view command,
                           const std::string& near = {});

// The engine is built once; building it is the cost of expanding every pattern.
const CommandEngine& command_engine();

}  // namespace vfw::cli
