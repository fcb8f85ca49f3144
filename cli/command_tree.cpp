#include "cli/command_tree.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>

#include "config/services.hpp"

namespace vfw::cli {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool iprefix(std::string_view prefix, std::string_view word) {
  return prefix.size() <= word.size() && iequals(prefix, word.substr(0, prefix.size()));
}

struct InterfaceType {
  std::string_view name;
  bool slotted;       // numbered slot/card/port (1/0/1) rather than a plain number
  bool subinterface;  // may carry a ".N" subinterface number (GigabitEthernet1/0/0.10)
};
constexpr std::array kInterfaceTypes = {
    InterfaceType{"GigabitEthernet", true, true}, InterfaceType{"LoopBack", false, false},
    InterfaceType{"NULL", false, false},          InterfaceType{"Tunnel", false, false},
    InterfaceType{"Vlanif", false, false},        InterfaceType{"Eth-Trunk", false, true},
    InterfaceType{"Virtual-if", false, false},    InterfaceType{"Virtual-Template", false, false},
};

// Each number of an interface name within the device's ranges: slot, card and port of at most
// four digits, a plain number up to 65535, a subinterface from 1 to 4094.
bool valid_number(std::string_view number, const InterfaceType& type) {
  if (const size_t dot = number.find('.'); dot != std::string_view::npos) {
    if (!type.subinterface) return false;
    const auto sub = parse_uint(number.substr(dot + 1), 4094);
    if (!sub || *sub == 0 || number.size() - dot - 1 > 4) return false;
    number = number.substr(0, dot);
  }
  if (number.empty()) return false;
  int parts = 0;
  size_t start = 0;
  while (true) {
    const size_t slash = number.find('/', start);
    const std::string_view part = number.substr(start, slash - start);
    if (part.empty() || part.size() > (type.slotted ? 4 : 5)) return false;
    if (!std::all_of(part.begin(), part.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }))
      return false;
    if (!type.slotted && !parse_uint(part, 65535)) return false;
    ++parts;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return type.slotted ? (parts == 3 || parts == 2) : parts == 1;
}

// Splits "g1/0/1" into type "g" and number "1/0/1".
std::pair<std::string_view, std::string_view> split_interface(std::string_view name) {
  size_t i = 0;
  while (i < name.size() && !std::isdigit(static_cast<unsigned char>(name[i]))) ++i;
  return {name.substr(0, i), name.substr(i)};
}

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
  if (type == "word") {
    node->type = ParamType::Word;
    node->help = "STRING<1-63>";
  } else if (type == "text") {
    // {text:name} or {text:name:1-242}: the rest of the line, at most hi characters.
    node->type = ParamType::Text;
    node->lo = 1;
    node->hi = 1024;
    if (parts.size() == 3) {
      const size_t dash = parts[2].find('-');
      node->lo = static_cast<uint32_t>(std::stoul(parts[2].substr(0, dash)));
      node->hi = static_cast<uint32_t>(std::stoul(parts[2].substr(dash + 1)));
    }
    node->help = "STRING<" + std::to_string(node->lo) + "-" + std::to_string(node->hi) + ">";
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
      if (tok.size() > 63 || has_control_character(tok)) return 0;
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

// A word one edit from a keyword of this node (two for long words) is a typing mistake for it:
// `ip adress`, `firewall zoen`. Only a word unlike every keyword names a command vfw lacks.
bool near_a_keyword(const Node& node, std::string_view word, bool configuration_only) {
  if (word.size() < 4) return false;
  const size_t limit = word.size() >= 8 ? 2 : 1;
  return std::any_of(node.children.begin(), node.children.end(), [&](const auto& child) {
    return child->type == ParamType::Keyword && !(configuration_only && child->operational_only) &&
           edit_distance(word, child->name, limit) <= limit;
  });
}

struct Step {
  const Node* next = nullptr;
  size_t consumed = 0;
  std::optional<SyntaxError> error;
  bool abbreviated = false;             // a keyword matched by a prefix of it
  std::vector<const Node*> candidates;  // with an Ambiguous error: the keywords it may begin

  static Step to(const Node* next, size_t consumed, bool abbreviated = false) {
    Step s;
    s.next = next;
    s.consumed = consumed;
    s.abbreviated = abbreviated;
    return s;
  }
  static Step fail(ErrorKind kind, size_t column, std::vector<const Node*> candidates = {}) {
    Step s;
    s.error = SyntaxError{kind, column};
    s.candidates = std::move(candidates);
    return s;
  }
};

Step step(const Node& node, const std::vector<Token>& tokens, size_t i, std::string_view line,
          Args* args, bool configuration_only = false) {
  const Token& tok = tokens[i];
  if (node.children.empty()) return Step::fail(ErrorKind::TooMany, tok.column);
  const Node* exact = nullptr;
  std::vector<const Node*> prefixed;
  for (const auto& child : node.children) {
    if (child->type != ParamType::Keyword) continue;
    if (configuration_only && child->operational_only) continue;
    if (iequals(tok.text, child->name)) exact = child.get();
    // A file spells the device's commands in full: a word of a command vfw only keeps is not
    // taken as the abbreviation of a longer one (`l2tp` is not `l2tp-group`).
    if (configuration_only && child->unemulated_only) continue;
    if (iprefix(tok.text, child->name)) prefixed.push_back(child.get());
  }
  const bool abbreviated = exact == nullptr && prefixed.size() == 1;
  if (abbreviated) exact = prefixed.front();
  if (exact != nullptr) {
    if (args != nullptr) args->add_keyword(exact->name);
    return Step::to(exact, 1, abbreviated);
  }
  bool has_param = false;
  for (const auto& child : node.children) {
    if (child->type == ParamType::Keyword) continue;
    if (configuration_only && child->operational_only) continue;
    has_param = true;
    std::string value;
    if (size_t n = accepts(*child, tokens, i, value, line); n > 0) {
      if (args != nullptr) args->add(child->name, std::move(value));
      return Step::to(child.get(), n);
    }
  }
  if (prefixed.size() > 1) {
    return Step::fail(ErrorKind::Ambiguous, tok.column, std::move(prefixed));
  }
  return Step::fail(has_param ? ErrorKind::WrongParameter : ErrorKind::Unrecognized, tok.column);
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
  return match_from(root_.get(), line, tokens, 0, Match{}, true, configuration_only);
}

std::variant<Match, SyntaxError> CommandTree::match_from(const Node* node, std::string_view line,
                                                         const std::vector<Token>& tokens, size_t i,
                                                         Match m, bool keywords_only,
                                                         bool configuration_only) const {
  while (i < tokens.size()) {
    Step s = step(*node, tokens, i, line, &m.args, configuration_only);
    if (s.error && !s.candidates.empty()) {
      // A word that begins several keywords: the words after it decide, as on the device (`d cu`
      // is display current-configuration although `d` begins debugging, delete and dir too).
      // Exactly one candidate must match the whole line on keywords vfw knows; a match that
      // ends in the catch-all rest of a command vfw only names proves nothing.
      std::optional<Match> chosen;
      size_t strict = 0;
      std::optional<SyntaxError> deepest;
      for (const Node* candidate : s.candidates) {
        Match tried = m;
        tried.args.add_keyword(candidate->name);
        tried.abbreviated = true;
        auto r = match_from(candidate, line, tokens, i + 1, std::move(tried), keywords_only,
                            configuration_only);
        if (auto* ok = std::get_if<Match>(&r)) {
          if (!ok->loose) {
            ++strict;
            chosen = std::move(*ok);
          }
        } else if (const auto& e = std::get<SyntaxError>(r);
                   e.column > s.error->column && (!deepest || e.column > deepest->column)) {
          deepest = e;
        }
      }
      if (strict == 1) return std::move(*chosen);
      if (strict == 0 && deepest && deepest->kind == ErrorKind::Ambiguous) return *deepest;
      return *s.error;
    }
    if (s.error) {
      s.error->unknown_command = keywords_only && s.error->kind == ErrorKind::Unrecognized &&
                                 !near_a_keyword(*node, tokens[i].text, configuration_only);
      return *s.error;
    }
    node = s.next;
    m.abbreviated = m.abbreviated || s.abbreviated;
    m.loose = m.loose || node->takes_anything;
    keywords_only = keywords_only && node->type == ParamType::Keyword;
    i += s.consumed;
  }
  if (!node->handler) {
    return SyntaxError{ErrorKind::Incomplete, line.find_last_not_of(" \t") + 2};
  }
  m.node = node;
  return m;
}

const Node* CommandTree::walk(std::string_view line, const std::vector<Token>& tokens) const {
  const Node* node = root_.get();
  size_t i = 0;
  while (i < tokens.size()) {
    Step s = step(*node, tokens, i, line, nullptr);
    if (s.error) return nullptr;
    node = s.next;
    i += s.consumed;
  }
  return node;
}

std::optional<std::string> normalize_interface(std::string_view type, std::string_view number) {
  if (type.empty()) return std::nullopt;
  const InterfaceType* found = nullptr;
  for (const auto& t : kInterfaceTypes) {
    if (iprefix(type, t.name)) {
      if (found != nullptr && !iequals(type, t.name)) return std::nullopt;  // ambiguous prefix
      found = &t;
      if (iequals(type, t.name)) break;
    }
  }
  if (found == nullptr || !valid_number(number, *found)) return std::nullopt;
  return std::string(found->name) + std::string(number);
}

std::optional<std::string> normalize_interface(std::string_view name) {
  auto [type, number] = split_interface(name);
  return normalize_interface(type, number);
}

}  // namespace vfw::cli
