#include "cli/command_engine.hpp"

#include <algorithm>
#include <cctype>
#include <utility>

namespace vfw::cli {

void CommandContext::enter(View view, std::string object, std::string prompt) {
  stack_.push_back(Frame{view, std::move(object), std::move(prompt)});
}

void CommandContext::enter_system() {
  if (stack_.size() == 1) stack_.push_back(Frame{View::System, "", ""});
}

void CommandContext::quit() {
  if (stack_.size() == 1) {
    finished_ = true;
    return;
  }
  stack_.pop_back();
}

void CommandContext::to_user() {
  stack_.resize(1);
}

void CommandContext::to_system() {
  stack_.resize(1);
  enter_system();
}

void CommandContext::pop_to(size_t depth) {
  if (depth < stack_.size()) stack_.resize(depth);
}

std::string CommandContext::prompt() const {
  const Frame& f = frame();
  if (f.view == View::User) return "<" + config_->sysname + ">";
  if (f.prompt.empty()) return "[" + config_->sysname + "]";
  return "[" + config_->sysname + "-" + f.prompt + "]";
}

void CommandContext::note_unemulated(const std::string& what) {
  if (unemulated_seen_.insert(what).second) {
    notices_.push_back("Info: \"" + what + "\" is not emulated by vfw; the configuration is kept.");
  }
}

void CommandContext::note_unknown(const std::string& what, const std::string& near) {
  if (near.empty()) return note_unemulated(what);
  if (unemulated_seen_.insert(what).second) {
    notices_.push_back("Info: \"" + what +
                       "\" is not a command vfw knows (a typing mistake for \"" + near +
                       "\"?); the line is kept.");
  }
}

CommandEngine::CommandEngine() {
  register_system_commands(*this);
  register_interface_commands(*this);
  register_object_commands(*this);
  register_policy_commands(*this);
  register_nat_commands(*this);
  register_traffic_policy_commands(*this);
  register_display_commands(*this);
  register_unemulated_commands(*this);
  register_session_commands(*this);
  register_ipsec_commands(*this);
  register_ike_commands(*this);
  register_probe_commands(*this);
  register_device_vocabulary(*this);
  // What acts on the running device or only prints: never run from a configuration file.
  tree(View::Global).mark_operational("display");
  tree(View::Global).mark_operational("save");
  for (View v : {View::User, View::System}) {
    tree(v).mark_operational("packet-trace");
    tree(v).mark_operational("reset");
  }
  tree(View::User).mark_operational("screen-length");
  tree(View::User).mark_operational("debugging");
  tree(View::User).mark_operational("undo debugging");
  tree(View::User).mark_operational("terminal");
  tree(View::User).mark_operational("undo screen-length");
}

namespace {

std::string param_label(const Node& n) {
  return n.help.empty() ? n.name : n.help;
}

bool iprefix(std::string_view prefix, std::string_view word) {
  if (prefix.size() > word.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(prefix[i])) !=
        std::tolower(static_cast<unsigned char>(word[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> CommandEngine::help(const CommandContext& ctx,
                                                                     std::string_view typed) const {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](std::string word, std::string text) {
    for (const auto& [w, t] : out) {
      if (w == word) return;
    }
    out.emplace_back(std::move(word), std::move(text));
  };
  const bool partial = !typed.empty() && !std::isspace(static_cast<unsigned char>(typed.back()));
  auto tokens = tokenize(typed);
  std::string last;
  if (partial) {
    last = std::string(tokens.back().text);
    tokens.pop_back();
  }
  bool can_end = false;
  // The first word lists the current view's commands (and those of every view), as the device
  // does; deeper in a line, a parent view's command is helped too, since it would run there.
  auto roots = roots_for(ctx, false);
  if (tokens.empty()) roots.resize(2);
  for (const Node* node : walk_roots(roots, typed, tokens)) {
    for (const auto& child : node->children) {
      if (child->type == ParamType::Keyword) {
        if (partial && !iprefix(last, child->name)) continue;
        // What the device has and vfw does not run is listed (it is the device's vocabulary,
        // and abbreviations resolve against it) but says so.
        add(child->name, child->emulated ? child->help
                         : child->help.empty()
                             ? std::string(kNotEmulatedHelp)
                             : child->help + " (" + std::string(kNotEmulatedHelp) + ")");
      } else if (!partial) {
        add(param_label(*child), child->name);
      }
    }
    if (!partial && node->handler && !tokens.empty()) can_end = true;
  }
  std::sort(out.begin(), out.end());
  if (can_end) out.emplace_back("<cr>", "");
  return out;
}

std::vector<std::string> CommandEngine::completions(const CommandContext& ctx,
                                                    std::string_view typed) const {
  std::vector<std::string> out;
  if (typed.empty() || std::isspace(static_cast<unsigned char>(typed.back()))) return out;
  for (const auto& [word, text] : help(ctx, typed)) {
    if (word != "<cr>") out.push_back(word);
  }
  return out;
}

std::vector<Root> CommandEngine::roots_for(const CommandContext& ctx, bool block_only) const {
  std::vector<Root> out;
  const auto& stack = ctx.stack();
  out.push_back({&tree(stack.back().view).root(), 0});
  out.push_back({&tree(View::Global).root(), 1});
  if (block_only) return out;
  for (size_t depth = stack.size() - 1; depth-- > 1;)
    out.push_back({&tree(stack[depth].view).root(), out.size()});
  return out;
}

size_t CommandEngine::depth_of(const CommandContext& ctx, size_t rank) {
  const size_t size = ctx.stack().size();
  return rank < 2 ? size : size - (rank - 1);
}

namespace {

// The words of a line up to the one a syntax error points at: what the device would name as the
// command ("ip netstream", "snmp-agent").
std::string command_words(const std::vector<Token>& tokens, size_t column) {
  std::string out;
  for (const Token& t : tokens) {
    if (t.column > column) break;
    if (!out.empty()) out += ' ';
    out += t.text;
  }
  return out;
}

// What a command the device has and vfw does not emulate answers when typed: its keywords, as
// the device would spell them.
std::string not_emulated_error(const Match& m) {
  std::string words;
  for (const std::string& k : m.args.keywords()) words += (words.empty() ? "" : " ") + k;
  return "Error: \"" + words + "\" is a command of the device that vfw does not emulate.";
}

}  // namespace

LineResult CommandEngine::execute(CommandContext& ctx, std::string_view line) const {
  const auto tokens = tokenize(line);
  if (tokens.empty()) return {};
  ctx.current_line = line;
  const auto& stack = ctx.stack();
  const bool indented = std::isspace(static_cast<unsigned char>(line.front())) != 0;
  // In a file the indentation says where a line belongs: one blank deep is a top-level block's
  // line, two a line of a block nested in it (a rule of security-policy). The line is matched in
  // that view alone, never in a parent's, so `ip address dhcp-alloc` under an interface is not
  // `ip address-set` of the system view.
  if (ctx.loading && indented && stack.back().view != View::Opaque) {
    ctx.pop_to(std::max<size_t>(2, tokens.front().column + 2));
  }
  LineResult changed;
  changed.may_change_config = true;

  // Inside an unemulated block, a file's lines all belong to the block. Typed at the terminal,
  // quit/return/display work, and a line at the left margin that is an emulated command of a
  // parent view runs there and moves the prompt, as any parent-view command does.
  if (stack.back().view == View::Opaque && !ctx.config().opaque.empty()) {
    if (!ctx.loading) {
      auto global = tree(View::Global).match(line, tokens);
      if (auto* m = std::get_if<Match>(&global)) {
        if (Status done = m->node->handler(ctx, m->args); !done)
          return LineResult{false, std::move(done).error().message, 0, false};
        return {};
      }
      for (size_t depth = stack.size() - 1; !indented && depth-- > 1;) {
        auto parent = tree(stack[depth].view).match(line, tokens);
        auto* m = std::get_if<Match>(&parent);
        if (m == nullptr || m->node->unemulated()) continue;
        ctx.pop_to(depth + 1);
        if (Status done = m->node->handler(ctx, m->args); !done)
          return LineResult{false, std::move(done).error().message, 0, false};
        return changed;
      }
    }
    if (keep_aaa_view_line(ctx, line)) return changed;
    ctx.config().opaque.back().lines.push_back((indented ? "" : " ") +
                                               std::string(trim_right(line)));
    return changed;
  }

  // The line is resolved against every command the view offers at once (its own, those of
  // every view, its parents'), as the device does; in a file, an indented line belongs to its
  // block and is resolved there alone.
  const auto roots = roots_for(ctx, ctx.loading && indented);
  auto result = match_roots(roots, line, tokens, ctx.loading);
  if (auto* m = std::get_if<Match>(&result)) {
    // A command the device has and vfw does not emulate answers so when typed: nothing the
    // engineer types at a prompt is kept without being run (a file's lines are kept; they are
    // the device's own).
    if (!ctx.loading &&
        (m->node->kind == CommandKind::Unemulated || m->node->kind == CommandKind::NotEmulated))
      return LineResult{false, not_emulated_error(*m), 0, false};
    ctx.pop_to(depth_of(ctx, m->rank));
    if (Status done = m->node->handler(ctx, m->args); !done)
      return LineResult{false, std::move(done).error().message, 0, false};
    LineResult ok;
    ok.may_change_config = m->rank != 1;
    return ok;
  }
  const SyntaxError& err = std::get<SyntaxError>(result);

  // A saved configuration holds no typing mistakes: a line that names a command vfw does not
  // have (in any view it could belong to) is the device's, kept verbatim where it stands. A line
  // that is a command vfw has, with a wrong parameter, is still an error.
  if (ctx.loading) {
    auto any = match_roots(roots, line, tokens);
    if (auto* m = std::get_if<Match>(&any);
        m != nullptr && !m->abbreviated && m->node->kind == CommandKind::Operational)
      return LineResult{false,
                        "Error: This command acts on the running device; a configuration file "
                        "cannot run it.",
                        0, false};
  }
  if (ctx.loading && err.unknown_command && !ctx.strict) {
    const std::string what = command_words(tokens, err.column);
    if (!indented || stack.back().view == View::System) {
      keep_unemulated_block(ctx, line, what, err.near_keyword);
      return changed;
    }
    if (std::vector<std::string>* lines = unemulated_lines(ctx)) {
      lines->push_back(" " + std::string(trim_right(line.substr(tokens.front().column))));
      ctx.note_unknown(what, err.near_keyword);
      return changed;
    }
  }
  if (ctx.loading && err.unknown_command && ctx.strict)
    return LineResult{false,
                      "Error: \"" + command_words(tokens, err.column) +
                          "\" is not a command vfw knows (--strict).",
                      err.column, true};
  return LineResult{false, err.message(), err.column, true};
}

const CommandEngine& command_engine() {
  static const CommandEngine engine;
  return engine;
}

}  // namespace vfw::cli
