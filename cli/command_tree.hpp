// The command tree of one view: keywords and typed parameters, matched as VRP matches them.
//
// Commands are registered from patterns written like the device's command reference:
//   "ip route-static {ip:dest} {mask:mask} ( {ip:nexthop} | {iface:ifname} ) [ preference
//   {uint:pref:1-255} ]"
// where [ ] is optional and ( a | b ) an alternative; the pattern is expanded and merged into a
// tree. Matching walks the tree token by token: a keyword matches by exact name or unique prefix
// (the device's abbreviations, `a i g 1/0/1`), then typed parameters are tried. A failure is one of
// the device's five errors, with the column of the offending token for the caret.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/expected.hpp"
#include "packet/address.hpp"

namespace vfw::cli {

enum class ErrorKind : uint8_t { Unrecognized, Incomplete, Ambiguous, WrongParameter, TooMany };

struct SyntaxError {
  SyntaxError() = default;
  SyntaxError(ErrorKind k, size_t c) : kind(k), column(c) {}
  ErrorKind kind = ErrorKind::Unrecognized;
  size_t column = 0;  // offset in the line of the token the caret points at
  // The words before the failing one were all keywords: the line names a command this tree does
  // not have (as opposed to a command it has, typed with a wrong parameter).
  bool unknown_command = false;
  // With unknown_command: a keyword one or two edits from the word, which a typing mistake
  // would have meant (`adress` for `address`).
  std::string near_keyword;
  // "Error: Unrecognized command found at '^' position." and its four siblings.
  std::string message() const;
};

struct Token {
  std::string_view text;
  size_t column = 0;
};

std::vector<Token> tokenize(std::string_view line);
// The line without the blanks (and CR) at its end.
std::string_view trim_right(std::string_view line);
// The line with the secret it carries (the key after sa encryption-hex / authentication-hex,
// pre-shared-key, string-key, even abbreviated) replaced by ******: what errors may echo.
std::string hide_secrets(std::string_view line);

enum class ParamType : uint8_t {
  Keyword,
  Word,       // a name: 1..63 printable characters
  Text,       // the rest of the line, verbatim (descriptions)
  UInt,       // a decimal integer within [lo, hi]
  Ipv4,       // dotted quad
  Mask,       // prefix length or dotted mask
  Interface,  // GigabitEthernet1/0/1, g1/0/1, "g 1/0/1", NULL0, LoopBack0 ...
  Port,       // a TCP/UDP port: 0-65535 or a name (www, telnet ...), read with port_number()
};

// Parsed arguments, by the names the pattern gave them. Keywords are recorded too, so a handler
// asks args.has("deny"); str() and the typed getters read parameters only.
class Args {
 public:
  void add(std::string name, std::string value) {
    items_.emplace_back(std::move(name), std::move(value));
  }
  void add_keyword(std::string keyword) { keywords_.push_back(std::move(keyword)); }
  bool has(std::string_view name) const;
  const std::string& str(std::string_view name) const;  // "" when absent
  uint32_t uint(std::string_view name) const;
  Ipv4 ip(std::string_view name) const;
  unsigned mask(std::string_view name) const;
  std::vector<std::string> all(std::string_view name) const;
  // The keywords of the command, in the order typed, spelled in full.
  const std::vector<std::string>& keywords() const { return keywords_; }

 private:
  std::vector<std::pair<std::string, std::string>> items_;
  std::vector<std::string> keywords_;
};

class CommandContext;
// A handler returns an error message for a semantic error ("Error: ..."), nullopt on success.
// Done, or the device's error line that refuses the command.
using Handler = std::function<Status(CommandContext&, const Args&)>;

// What running a command does. A configuration file may hold configuration commands only: when
// loading, operational commands (save, display, reset ...) are not candidates at all, so that a
// line of a block vfw does not emulate can never run one by abbreviation (`sa` is not `save`).
enum class CommandKind : uint8_t {
  Configuration,  // changes the configuration or moves between views
  Unemulated,     // accepted and kept verbatim (commands_unemulated.cpp)
  Operational,    // acts on the running device or prints: never run from a file
  NotEmulated,    // the device has it, vfw does not: answers so (cli/device_vocabulary.cpp)
};

struct Node {
  ParamType type = ParamType::Keyword;
  std::string name;  // keyword text, or the parameter's name
  uint32_t lo = 0, hi = 0;
  std::string help;
  std::vector<std::unique_ptr<Node>> children;
  Handler handler;  // set where a command may end
  CommandKind kind = CommandKind::Configuration;
  bool unemulated() const { return kind == CommandKind::Unemulated; }
  // Only operational commands pass through this node: skipped when matching configuration only.
  bool operational_only = false;
  // Only unemulated commands pass through this node: matched by its full name in a file.
  bool unemulated_only = false;
  // The rest of the line of a command vfw only keeps or names (`snmp-agent [ rest ]`): it takes
  // any words, so it does not count as evidence when the words after an ambiguous keyword
  // decide which command was meant.
  bool takes_anything = false;
  // A command vfw runs (configuration or operational) passes through this node; `?` marks the
  // others as the device's words that vfw does not emulate.
  bool emulated = false;
};

// What `?` says of a keyword the device has and vfw does not run.
inline constexpr std::string_view kNotEmulatedHelp = "not emulated by vfw";

struct Match {
  const Node* node = nullptr;
  Args args;
  bool abbreviated = false;  // some keyword was typed as a prefix of itself
  // It proves nothing about what was meant: a command vfw only keeps or names, or one that ended
  // in the rest of such a command.
  bool loose = false;
  size_t rank = 0;  // which of the roots it was resolved in (match_roots)
};

// A tree taking part in the resolution of a line, with its rank: the current view's is 0, then
// the commands of every view, then each parent view's.
struct Root {
  const Node* node = nullptr;
  size_t rank = 0;
};

// Matches a line against several trees at once, as the device resolves a line typed in a view:
// an abbreviation is unique or ambiguous among the keywords of all of them (a word only one tree
// has cannot capture a prefix another tree's word shares), a keyword several trees have leads
// into each, and where they all match, the lowest rank wins. With configuration_only the
// operational commands are not candidates (a file being loaded).
std::variant<Match, SyntaxError> match_roots(std::span<const Root> roots, std::string_view line,
                                             const std::vector<Token>& tokens,
                                             bool configuration_only = false);
// The nodes the words lead to in the trees (their children are what may come next), for `?`
// help and completion; empty if the words lead nowhere.
std::vector<const Node*> walk_roots(std::span<const Root> roots, std::string_view line,
                                    const std::vector<Token>& tokens);

class CommandTree {
 public:
  CommandTree();
  // Registers every expansion of the pattern; throws std::logic_error on a malformed pattern
  // (a programming error, found by the first test that builds the tree).
  void add(std::string_view pattern, const Handler& handler,
           CommandKind kind = CommandKind::Configuration);

  // Matches a tokenised line. On success the returned node has a handler. With configuration_only
  // the operational commands are not candidates (a file being loaded).
  std::variant<Match, SyntaxError> match(std::string_view line, const std::vector<Token>& tokens,
                                         bool configuration_only = false) const;

  // The children of the node the tokens lead to, for `?` help and completion; nullptr if the
  // tokens do not lead anywhere.
  const Node* walk(std::string_view line, const std::vector<Token>& tokens) const;

  const Node& root() const { return *root_; }

  // Sets the `?` text of the keyword at the end of a path, where it has none.
  void describe(std::string_view keyword_path, std::string help);
  // Marks the commands under a keyword path ("display", "undo screen-length") as operational.
  void mark_operational(std::string_view keyword_path);

 private:
  void insert(const std::vector<std::string>& elements, const Handler& handler, CommandKind kind);
  std::unique_ptr<Node> root_;
};

// One-line descriptions shown by `?`.
std::string_view keyword_help(std::string_view keyword);

}  // namespace vfw::cli
