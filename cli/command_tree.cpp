#include "cli/command_tree.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>
#include <span>
#include <stdexcept>

#include "config/interface_name.hpp"
#include "config/services.hpp"
#include "config/words.hpp"

namespace vfw::cli {
namespace {

using config::iequals;
using config::iprefix;
using config::normalize_interface;

// The pattern elements: keyword, {type:name[:lo-hi]}, and the grouping tokens [ ] ( | ).
std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> out;
  for (const Token& t : tokenize(pattern)) out.emplace_back(t.text);
  return out;
}

// Expands optional groups and alternatives into plain sequences.
std::vector<std::vector<std::string>> expand(const std::vector<std::string>& elems, size_t& pos,
                                             bool nested) {
  std::vector<std::vector<std::string>> alternatives;
  std::vector<std::vector<std::string>> current{{}};
  auto append_all = [&](const std::vector<std::vector<std::string>>& options) {
    std::vector<std::vector<std::string>> next;
    for (const auto& prefix : current) {
      for (const auto& option : options) {
        auto seq = prefix;
        seq.insert(seq.end(), option.begin(), option.end());
        next.push_back(std::move(seq));
      }
    }
    current = std::move(next);
  };
  while (pos < elems.size()) {
    const std::string& e = elems[pos++];
    if (e == "[" || e == "(") {
      auto inner = expand(elems, pos, true);
      if (e == "[") inner.emplace_back();
      append_all(inner);
    } else if (e == "]" || e == ")") {
      if (!nested) throw std::logic_error("unbalanced pattern");
      break;
    } else if (e == "|") {
      alternatives.insert(alternatives.end(), current.begin(), current.end());
      current = {{}};
    } else {
      for (auto& seq : current) seq.push_back(e);
    }
  }
  alternatives.insert(alternatives.end(), current.begin(), current.end());
  return alternatives;
}

std::unique_ptr<Node> make_node(const std::string& element) {
  auto node = std::make_unique<Node>();
  if (element.front() != '{') {
    node->type = ParamType::Keyword;
    node->name = element;
    node->help = std::string(keyword_help(element));
    return node;
  }
  if (element.back() != '}') throw std::logic_error("bad parameter " + element);
  std::string body = element.substr(1, element.size() - 2);
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t colon; (colon = body.find(':', start)) != std::string::npos; start = colon + 1) {
    parts.push_back(body.substr(start, colon - start));
  }
  parts.push_back(body.substr(start));
  if (parts.size() < 2) throw std::logic_error("parameter needs type:name " + element);
  const std::string& type = parts[0];
  node->name = parts[1];
  // A string's length bounds: LO-HI after the name, else the type's own.
  auto string_bounds = [&](uint32_t hi) {
    node->lo = 1;
    node->hi = hi;
    if (parts.size() == 3) {
      const size_t dash = parts[2].find('-');
      node->lo = static_cast<uint32_t>(std::stoul(parts[2].substr(0, dash)));
      node->hi = static_cast<uint32_t>(std::stoul(parts[2].substr(dash + 1)));
    }
    node->help = "STRING<" + std::to_string(node->lo) + "-" + std::to_string(node->hi) + ">";
  };
  if (type == "word") {
    // {word:name} or {word:name:1-255}: one word, at most 63 characters (the device's own
    // names) unless the bounds say otherwise (a file path may be longer).
    node->type = ParamType::Word;
    string_bounds(63);
  } else if (type == "text") {
    // {text:name} or {text:name:1-242}: the rest of the line, at most 1024 characters.
    node->type = ParamType::Text;
    string_bounds(1024);
  } else if (type == "ip") {
    node->type = ParamType::Ipv4;
    node->help = "IP address";
  } else if (type == "mask") {
    node->type = ParamType::Mask;
    node->help = "INTEGER<0-32> or mask";
  } else if (type == "iface") {
    node->type = ParamType::Interface;
    node->help = "Interface type and number";
  } else if (type == "port") {
    node->type = ParamType::Port;
    node->help = "INTEGER<0-65535> or a port name";
  } else if (type == "uint") {
    node->type = ParamType::UInt;
    if (parts.size() != 3) throw std::logic_error("uint needs a range " + element);
    const size_t dash = parts[2].find('-');
    node->lo = static_cast<uint32_t>(std::stoul(parts[2].substr(0, dash)));
    node->hi = static_cast<uint32_t>(std::stoul(parts[2].substr(dash + 1)));
    node->help = "INTEGER<" + parts[2] + ">";
  } else {
    throw std::logic_error("unknown parameter type " + type);
  }
  return node;
}

// NUL, escape and the other control characters never go into a name or a description (a tab
// inside a description is kept).
bool has_control_character(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\t') || u == 0x7f;
  });
}

bool same_shape(const Node& a, const Node& b) {
  return a.type == b.type && a.name == b.name && a.lo == b.lo && a.hi == b.hi;
}

// How many tokens a parameter takes at position i (0 when it does not accept them).
size_t accepts(const Node& node, const std::vector<Token>& tokens, size_t i, std::string& value,
               std::string_view line) {
  const std::string_view tok = tokens[i].text;
  switch (node.type) {
    case ParamType::Keyword:
      return 0;
    case ParamType::Word:
      if (tok.size() < node.lo || tok.size() > node.hi || has_control_character(tok)) return 0;
      value = std::string(tok);
      return 1;
    case ParamType::Text: {
      const std::string_view rest = trim_right(line.substr(tokens[i].column));
      if (rest.size() < node.lo || rest.size() > node.hi || has_control_character(rest)) return 0;
      value = std::string(rest);
      return tokens.size() - i;
    }
    case ParamType::UInt: {
      auto v = parse_uint(tok, node.hi);
      if (!v || *v < node.lo) return 0;
      value = std::to_string(*v);
      return 1;
    }
    case ParamType::Port: {
      std::string lower(tok);
      for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      if (!config::port_number(0, lower)) return 0;
      value = lower;
      return 1;
    }
    case ParamType::Ipv4:
      if (!parse_ipv4(tok)) return 0;
      value = std::string(tok);
      return 1;
    case ParamType::Mask: {
      auto len = parse_mask_or_length(tok);
      if (!len) return 0;
      value = std::to_string(*len);
      return 1;
    }
    case ParamType::Interface: {
      if (auto name = normalize_interface(tok)) {
        value = *name;
        return 1;
      }
      if (i + 1 < tokens.size()) {
        if (auto name = normalize_interface(tok, tokens[i + 1].text)) {
          value = *name;
          return 2;
        }
      }
      return 0;
    }
  }
  return 0;
}

// Optimal string alignment distance (edits, with a swap of neighbours as one), case-insensitive,
// stopping early once it exceeds limit.
size_t edit_distance(std::string_view a, std::string_view b, size_t limit) {
  if (a.size() > b.size() + limit || b.size() > a.size() + limit) return limit + 1;
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1]))
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

std::string SyntaxError::message() const {
  switch (kind) {
    case ErrorKind::Unrecognized:
      return "Error: Unrecognized command found at '^' position.";
    case ErrorKind::Incomplete:
      return "Error: Incomplete command found at '^' position.";
    case ErrorKind::Ambiguous:
      return "Error: Ambiguous command found at '^' position.";
    case ErrorKind::WrongParameter:
      return "Error: Wrong parameter found at '^' position.";
    case ErrorKind::TooMany:
      return "Error: Too many parameters found at '^' position.";
  }
  return "Error";
}

std::string_view trim_right(std::string_view line) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
    line.remove_suffix(1);
  }
  return line;
}

std::string hide_secrets(std::string_view line) {
  const auto tokens = tokenize(line);
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    const std::string_view t = tokens[i].text;
    for (std::string_view secret :
         {"encryption-hex", "authentication-hex", "pre-shared-key", "string-key"}) {
      if (t.size() >= 3 && iprefix(t, secret)) {
        return std::string(line.substr(0, tokens.back().column)) + "******";
      }
    }
  }
  return std::string(line);
}

std::vector<Token> tokenize(std::string_view line) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    const size_t start = i;
    // A name with spaces is written in double quotes ("rule name \"a b\""): one token, quotes
    // kept, so it prints back as written.
    if (line[i] == '"') {
      const size_t close = line.find('"', i + 1);
      if (close != std::string_view::npos &&
          (close + 1 == line.size() || std::isspace(static_cast<unsigned char>(line[close + 1])))) {
        out.push_back(Token{line.substr(start, close + 1 - start), start});
        i = close + 1;
        continue;
      }
    }
    while (i < line.size() && !std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    out.push_back(Token{line.substr(start, i - start), start});
  }
  return out;
}

bool Args::has(std::string_view name) const {
  return std::any_of(items_.begin(), items_.end(),
                     [&](const auto& kv) { return kv.first == name; }) ||
         std::find(keywords_.begin(), keywords_.end(), name) != keywords_.end();
}

const std::string& Args::str(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : items_) {
    if (k == name) return v;
  }
  return kEmpty;
}

uint32_t Args::uint(std::string_view name) const {
  return parse_uint(str(name), 0xffffffffU).value_or(0);
}

Ipv4 Args::ip(std::string_view name) const {
  return parse_ipv4(str(name)).value_or(Ipv4{});
}

unsigned Args::mask(std::string_view name) const {
  return parse_mask_or_length(str(name)).value_or(0);
}

std::vector<std::string> Args::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : items_) {
    if (k == name) out.push_back(v);
  }
  return out;
}

CommandTree::CommandTree() : root_(std::make_unique<Node>()) {}

void CommandTree::add(std::string_view pattern, const Handler& handler, CommandKind kind) {
  const auto elems = split_pattern(pattern);
  size_t pos = 0;
  for (const auto& seq : expand(elems, pos, false)) insert(seq, handler, kind);
}

void CommandTree::insert(const std::vector<std::string>& elements, const Handler& handler,
                         CommandKind kind) {
  const bool operational = kind == CommandKind::Operational;
  Node* node = root_.get();
  for (const std::string& e : elements) {
    auto fresh = make_node(e);
    Node* found = nullptr;
    for (auto& child : node->children) {
      if (same_shape(*child, *fresh)) found = child.get();
    }
    if (found == nullptr) {
      fresh->operational_only = operational;
      fresh->takes_anything = fresh->type == ParamType::Text &&
                              (kind == CommandKind::Unemulated || kind == CommandKind::NotEmulated);
      fresh->unemulated_only = kind == CommandKind::Unemulated;
      node->children.push_back(std::move(fresh));
      found = node->children.back().get();
    } else {
      // Another kind of command passes through it too.
      if (!operational) found->operational_only = false;
      if (kind != CommandKind::Unemulated) found->unemulated_only = false;
    }
    if (kind == CommandKind::Configuration || kind == CommandKind::Operational)
      found->emulated = true;
    node = found;
  }
  if (!node->handler) {
    node->handler = handler;
    node->kind = kind;
  }
}

namespace {
void mark_subtree_operational(Node& node) {
  node.operational_only = true;
  if (node.handler) node.kind = CommandKind::Operational;
  for (auto& child : node.children) mark_subtree_operational(*child);
}
}  // namespace

void CommandTree::describe(std::string_view keyword_path, std::string help) {
  Node* node = root_.get();
  for (const Token& t : tokenize(keyword_path)) {
    Node* next = nullptr;
    for (auto& child : node->children) {
      if (child->type == ParamType::Keyword && child->name == t.text) next = child.get();
    }
    if (next == nullptr) return;
    node = next;
  }
  if (node->help.empty()) node->help = std::move(help);
}

void CommandTree::mark_operational(std::string_view keyword_path) {
  Node* node = root_.get();
  for (const Token& t : tokenize(keyword_path)) {
    Node* next = nullptr;
    for (auto& child : node->children) {
      if (child->type == ParamType::Keyword && child->name == t.text) next = child.get();
    }
    if (next == nullptr) throw std::logic_error("no command " + std::string(keyword_path));
    node = next;
  }
  mark_subtree_operational(*node);
}

std::variant<Match, SyntaxError> CommandTree::match(std::string_view line,
                                                    const std::vector<Token>& tokens,
                                                    bool configuration_only) const {
  const Root roots[] = {{root_.get(), 0}};
  return match_roots(roots, line, tokens, configuration_only);
}

namespace {

// The keywords the cursors offer for a word, by name: those it spells in full, and the groups of
// those it begins (one group a distinct name, with every tree's node of that name), in the order
// met. The vocabulary an abbreviation is resolved against is thus the whole view's.
struct KeywordCandidates {
  std::vector<Root> exact;
  std::vector<std::pair<std::string_view, std::vector<Root>>> prefixed;
  bool any_child = false;  // the cursors take some word here
};

KeywordCandidates keyword_candidates(const std::vector<Root>& cursors, std::string_view word,
                                     bool configuration_only) {
  KeywordCandidates k;
  for (const Root& c : cursors) {
    for (const auto& child : c.node->children) {
      k.any_child = true;
      if (child->type != ParamType::Keyword) continue;
      if (configuration_only && child->operational_only) continue;
      if (iequals(word, child->name)) k.exact.push_back({child.get(), c.rank});
      // A file spells the device's commands in full: a word of a command vfw only keeps is not
      // taken as the abbreviation of a longer one (`l2tp` is not `l2tp-group`).
      if (configuration_only && child->unemulated_only) continue;
      if (!iprefix(word, child->name)) continue;
      auto group = std::find_if(k.prefixed.begin(), k.prefixed.end(),
                                [&](const auto& g) { return iequals(g.first, child->name); });
      if (group == k.prefixed.end()) {
        k.prefixed.push_back({child->name, {}});
        group = std::prev(k.prefixed.end());
      }
      group->second.push_back({child.get(), c.rank});
    }
  }
  return k;
}

// One resolution of a line against the trees of a view. The cursors are the nodes the words so far
// lead to, one per tree that has the same keyword path (`undo` in the interface view and in the
// system view), in rank order.
class Resolver {
 public:
  Resolver(std::string_view line, const std::vector<Token>& tokens, bool configuration_only)
      : line_(line), tokens_(tokens), configuration_only_(configuration_only) {}

  std::variant<Match, SyntaxError> run(std::vector<Root> cursors, size_t i, Match m,
                                       bool keywords_only) const {
    while (i < tokens_.size()) {
      const Token& tok = tokens_[i];
      // The keywords every tree offers here, by name: the vocabulary an abbreviation is resolved
      // against is the whole view's (its own commands, those of every view, its parents'), so
      // that a word the device has in one tree cannot capture a prefix meant for another.
      KeywordCandidates k = keyword_candidates(cursors, tok.text, configuration_only_);
      std::vector<Root>& exact = k.exact;
      auto& prefixed = k.prefixed;
      if (!k.any_child) {
        // Words after a command spelled in keywords alone: in a file, a longer command of the
        // device's that vfw lacks (V300's `nat-policy interzone trust untrust outbound`).
        SyntaxError e{ErrorKind::TooMany, tok.column};
        e.unknown_command = keywords_only && configuration_only_;
        return e;
      }
      bool abbreviated = false;
      if (exact.empty() && prefixed.size() == 1) {
        exact = std::move(prefixed.front().second);
        abbreviated = true;
      }
      if (!exact.empty()) {
        m.args.add_keyword(exact.front().node->name);
        m.abbreviated = m.abbreviated || abbreviated;
        cursors = std::move(exact);
        ++i;
        continue;
      }
      // A parameter: each tree's in rank order; the first whole match wins, else the error that
      // got furthest into the line. The rest of a command vfw only keeps or names takes any
      // words, so it is tried last: it must not capture a word that begins several keywords.
      bool has_param = false;
      std::optional<SyntaxError> furthest;
      auto try_parameters = [&](bool catch_all) -> std::optional<Match> {
        for (const Root& c : cursors) {
          for (const auto& child : c.node->children) {
            if (child->type == ParamType::Keyword || child->takes_anything != catch_all) continue;
            if (configuration_only_ && child->operational_only) continue;
            has_param = true;
            std::string value;
            const size_t n = accepts(*child, tokens_, i, value, line_);
            if (n == 0) continue;
            Match tried = m;
            tried.args.add(child->name, std::move(value));
            tried.loose = tried.loose || child->takes_anything;
            auto r = run({{child.get(), c.rank}}, i + n, std::move(tried), false);
            if (auto* ok = std::get_if<Match>(&r)) return std::move(*ok);
            const auto& e = std::get<SyntaxError>(r);
            if (!furthest || e.column > furthest->column) furthest = e;
            break;  // a tree commits to its first parameter that takes the word
          }
        }
        return std::nullopt;
      };
      if (auto ok = try_parameters(false)) return std::move(*ok);
      if (furthest) return *furthest;
      if (prefixed.size() > 1) return decide(prefixed, i, m, keywords_only, tok.column);
      if (auto ok = try_parameters(true)) return std::move(*ok);
      if (furthest) return *furthest;
      SyntaxError e{has_param ? ErrorKind::WrongParameter : ErrorKind::Unrecognized, tok.column};
      // A word near a keyword is a typing mistake when typed; in a file it may be a word of the
      // device's that vfw lacks (`sftp` beside `ftp`): kept, with the likelier spelling named.
      e.near_keyword = near_a_keyword(cursors, tok.text);
      e.unknown_command = keywords_only && e.kind == ErrorKind::Unrecognized &&
                          (configuration_only_ || e.near_keyword.empty());
      return e;
    }
    for (const Root& c : cursors) {
      if (!c.node->handler) continue;
      m.node = c.node;
      m.rank = c.rank;
      // A command vfw only keeps or names proves nothing about what a person meant.
      m.loose = m.loose || c.node->kind == CommandKind::Unemulated ||
                c.node->kind == CommandKind::NotEmulated;
      return m;
    }
    return SyntaxError{ErrorKind::Incomplete, line_.find_last_not_of(" \t") + 2};
  }

 private:
  // A word that begins several keywords: the words after it decide, as on the device (`d cu` is
  // display current-configuration although `d` begins debugging, delete and dir too). Exactly
  // one candidate must match the whole line as a command vfw runs; a command vfw only keeps or
  // names proves nothing.
  std::variant<Match, SyntaxError> decide(
      const std::vector<std::pair<std::string_view, std::vector<Root>>>& groups, size_t i,
      const Match& m, bool keywords_only, size_t column) const {
    std::optional<Match> chosen;
    size_t strict = 0;
    std::optional<SyntaxError> deepest;
    for (const auto& [name, roots] : groups) {
      Match tried = m;
      tried.args.add_keyword(std::string(name));
      tried.abbreviated = true;
      auto r = run(roots, i + 1, std::move(tried), keywords_only);
      if (auto* ok = std::get_if<Match>(&r)) {
        if (!ok->loose) {
          ++strict;
          chosen = std::move(*ok);
        }
      } else if (const auto& e = std::get<SyntaxError>(r);
                 e.column > column && (!deepest || e.column > deepest->column)) {
        deepest = e;
      }
    }
    if (strict == 1) return std::move(*chosen);
    if (strict == 0 && deepest && deepest->kind == ErrorKind::Ambiguous) return *deepest;
    return SyntaxError{ErrorKind::Ambiguous, column};
  }

  // A word one edit from a keyword here (two for long words) is a typing mistake for it: `ip
  // adress`, `firewall zoen`.
  std::string near_a_keyword(const std::vector<Root>& cursors, std::string_view word) const {
    if (word.size() < 4) return {};
    const size_t limit = word.size() >= 8 ? 2 : 1;
    for (const Root& c : cursors) {
      for (const auto& child : c.node->children) {
        if (child->type == ParamType::Keyword && edit_distance(word, child->name, limit) <= limit)
          return child->name;
      }
    }
    return {};
  }

  std::string_view line_;
  const std::vector<Token>& tokens_;
  bool configuration_only_;
};

}  // namespace

std::variant<Match, SyntaxError> match_roots(std::span<const Root> roots, std::string_view line,
                                             const std::vector<Token>& tokens,
                                             bool configuration_only) {
  Resolver r(line, tokens, configuration_only);
  return r.run(std::vector<Root>(roots.begin(), roots.end()), 0, Match{}, true);
}

namespace {

struct Walked {
  std::vector<const Node*> nodes;
  bool loose = false;  // through the rest of a command vfw only keeps or names
};

Walked walk_from(std::vector<Root> cursors, std::string_view line, const std::vector<Token>& tokens,
                 size_t i) {
  bool loose = false;
  while (i < tokens.size() && !cursors.empty()) {
    const Token& tok = tokens[i];
    KeywordCandidates k = keyword_candidates(cursors, tok.text, false);
    std::vector<Root>& exact = k.exact;
    auto& prefixed = k.prefixed;
    if (exact.empty() && prefixed.size() == 1) exact = std::move(prefixed.front().second);
    if (!exact.empty()) {
      cursors = std::move(exact);
      ++i;
      continue;
    }
    if (prefixed.size() > 1) {
      // The words after an ambiguous one decide, as when a line runs: the one keyword whose
      // commands the rest of the words fit, not counting the catch-all rest of a command vfw only
      // keeps or names.
      std::optional<Walked> chosen;
      size_t strict = 0;
      for (const auto& [name, roots] : prefixed) {
        Walked w = walk_from(roots, line, tokens, i + 1);
        if (w.nodes.empty() || w.loose) continue;
        ++strict;
        chosen = std::move(w);
      }
      if (strict == 1) return {std::move(chosen->nodes), loose};
      return {};
    }
    std::vector<Root> next;
    size_t consumed = 0;
    for (const Root& c : cursors) {
      for (const auto& child : c.node->children) {
        if (child->type == ParamType::Keyword) continue;
        std::string value;
        const size_t n = accepts(*child, tokens, i, value, line);
        if (n == 0) continue;
        if (next.empty()) consumed = n;
        if (n == consumed) {
          next.push_back({child.get(), c.rank});
          loose = loose || child->takes_anything;
        }
        break;
      }
    }
    if (next.empty()) return {};
    cursors = std::move(next);
    i += consumed;
  }
  Walked out;
  out.loose = loose;
  for (const Root& c : cursors) out.nodes.push_back(c.node);
  return out;
}

}  // namespace

std::vector<const Node*> walk_roots(std::span<const Root> roots, std::string_view line,
                                    const std::vector<Token>& tokens) {
  return walk_from(std::vector<Root>(roots.begin(), roots.end()), line, tokens, 0).nodes;
}

const Node* CommandTree::walk(std::string_view line, const std::vector<Token>& tokens) const {
  const Root roots[] = {{root_.get(), 0}};
  const auto nodes = walk_roots(roots, line, tokens);
  return nodes.empty() ? nullptr : nodes.front();
}

}  // namespace vfw::cli
