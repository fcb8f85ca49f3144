// How a typed line resolves, in every view vfw has: each abbreviation an engineer types resolves
// to the command the full spelling names, against the device's whole vocabulary of that view
// (its own commands, those of every view, its parents'); and a command the device has but vfw
// does not emulate answers so and never lands in the running configuration.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "cli/command_engine.hpp"
#include "cli/line_runner.hpp"
#include "config/render.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::cli;
using namespace vfw::test;

namespace {

struct ViewSetup {
  View view;
  std::vector<std::string> lines;  // typed from user view to stand in it
};

// Every view vfw has, reached as an engineer reaches it.
const std::vector<ViewSetup>& views() {
  static const std::vector<ViewSetup> all = {
      {View::User, {}},
      {View::System, {"system-view"}},
      {View::Interface, {"system-view", "interface GigabitEthernet0/0/1"}},
      {View::Zone, {"system-view", "firewall zone trust"}},
      {View::AclBasic, {"system-view", "acl 2000"}},
      {View::AclAdvanced, {"system-view", "acl 3000"}},
      {View::PolicySecurity, {"system-view", "security-policy"}},
      {View::SecurityRule, {"system-view", "security-policy", "rule name r_test"}},
      {View::PolicyNat, {"system-view", "nat-policy"}},
      {View::NatRule, {"system-view", "nat-policy", "rule name n_test"}},
      {View::PolicyTraffic, {"system-view", "traffic-policy"}},
      {View::TrafficProfile, {"system-view", "traffic-policy", "profile p_test"}},
      {View::TrafficRule, {"system-view", "traffic-policy", "rule name t_test"}},
      {View::AddressSet, {"system-view", "ip address-set as_test type object"}},
      {View::ServiceSet, {"system-view", "ip service-set ss_test type object"}},
      {View::AddressGroup, {"system-view", "nat address-group g_test"}},
      {View::IpsecProposal, {"system-view", "ipsec proposal p_test"}},
      {View::IpsecPolicy, {"system-view", "ipsec policy m_test 10 isakmp"}},
      {View::IkeProposal, {"system-view", "ike proposal 9"}},
      {View::IkePeer, {"system-view", "ike peer peer_test"}},
  };
  return all;
}

// A console standing in the view.
std::unique_ptr<LineRunner> stand_in(Device& d, const ViewSetup& v) {
  auto r = std::make_unique<LineRunner>(d);
  for (const auto& line : v.lines) {
    const LineOutput out = r->run(line, 0);
    INFO(line << ": " << out.err);
    REQUIRE(out.ok);
  }
  REQUIRE(r->ctx.frame().view == v.view);
  return r;
}

// A value each kind of parameter takes, unlike any keyword.
std::string sample(const Node& n) {
  switch (n.type) {
    case ParamType::Keyword:
      return n.name;
    case ParamType::Word:
      return "w9z";
    case ParamType::Text:
      return "t9z";
    case ParamType::UInt:
      return std::to_string(n.lo);
    case ParamType::Ipv4:
      return "10.9.9.9";
    case ParamType::Mask:
      return "24";
    case ParamType::Interface:
      return "GigabitEthernet0/0/1";
    case ParamType::Port:
      return "80";
  }
  return "";
}

struct Command {
  std::vector<std::string> words;
  std::vector<bool> keyword;  // which words are keywords (and may be abbreviated)
  const Node* node;
};

// The commands under a root: one line per path to a handler, at most max_words long.
void commands_under(const Node& node, Command path, std::vector<Command>& out, bool emulated) {
  if (node.handler && !path.words.empty()) {
    const bool runs =
        node.kind == CommandKind::Configuration || node.kind == CommandKind::Operational;
    if (runs == emulated) out.push_back(Command{path.words, path.keyword, &node});
  }
  if (path.words.size() >= 10) return;
  for (const auto& child : node.children) {
    Command next = path;
    next.words.push_back(sample(*child));
    next.keyword.push_back(child->type == ParamType::Keyword);
    commands_under(*child, next, out, emulated);
  }
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

bool iprefix(std::string_view p, std::string_view w) {
  if (p.size() > w.size()) return false;
  for (size_t i = 0; i < p.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(p[i])) !=
        std::tolower(static_cast<unsigned char>(w[i])))
      return false;
  }
  return true;
}

// The keywords the view offers after the words before position j (the device's vocabulary there,
// emulated or not), by walking the same trees the line is resolved in.
std::vector<std::string> siblings(const std::vector<Root>& roots, const Command& c, size_t j) {
  const std::vector<std::string> before(c.words.begin(), c.words.begin() + static_cast<long>(j));
  const std::string text = join(before);
  const auto tokens = tokenize(text);
  std::vector<std::string> names;
  auto nodes = walk_roots(roots, text, tokens);
  for (const Node* n : nodes) {
    for (const auto& child : n->children) {
      if (child->type == ParamType::Keyword) names.push_back(child->name);
    }
  }
  return names;
}

// The shortest prefix of the word no other keyword there begins with.
size_t unique_prefix_length(const std::string& word, const std::vector<std::string>& names) {
  for (size_t len = 1; len <= word.size(); ++len) {
    const std::string_view p(word.data(), len);
    bool unique = true;
    for (const auto& other : names) {
      if (other != word && iprefix(p, other)) unique = false;
    }
    if (unique) return len;
  }
  return word.size();
}

std::variant<Match, SyntaxError> resolve(const LineRunner& r, const std::string& line) {
  const auto tokens = tokenize(line);
  return match_roots(command_engine().roots_for(r.ctx, false), line, tokens);
}

}  // namespace

TEST_CASE("every abbreviation of every command in every view resolves as its full spelling",
          "[cli][resolution]") {
  Device d(load_example("fw1.cfg"));
  size_t checked = 0;
  for (const ViewSetup& v : views()) {
    auto runner = stand_in(d, v);
    const auto roots = command_engine().roots_for(runner->ctx, false);
    std::vector<Command> commands;
    for (const Root& root : roots) commands_under(*root.node, {}, commands, true);
    REQUIRE_FALSE(commands.empty());
    for (const Command& c : commands) {
      const std::string full = join(c.words);
      auto whole = resolve(*runner, full);
      INFO("view " << static_cast<int>(v.view) << ": " << full);
      // Spelled in full, a command resolves; where two trees have the same words, the view's own
      // (the lower rank) wins, and that is what every abbreviation must reach too.
      REQUIRE(std::holds_alternative<Match>(whole));
      const Node* expected = std::get<Match>(whole).node;
      for (size_t j = 0; j < c.words.size(); ++j) {
        if (!c.keyword[j]) continue;
        const std::string& word = c.words[j];
        const size_t shortest = unique_prefix_length(word, siblings(roots, c, j));
        for (size_t len = shortest; len < word.size(); ++len) {
          Command typed = c;
          typed.words[j] = word.substr(0, len);
          const std::string line = join(typed.words);
          auto got = resolve(*runner, line);
          INFO(line);
          REQUIRE(std::holds_alternative<Match>(got));
          CHECK(std::get<Match>(got).node == expected);
          ++checked;
        }
        // One letter shorter, the word begins another keyword too: the words after it may
        // decide (`d cu`), else it is ambiguous; it never becomes another command.
        const auto names = siblings(roots, c, j);
        const std::string shorter = word.substr(0, shortest > 1 ? shortest - 1 : 0);
        const bool is_keyword = std::find(names.begin(), names.end(), shorter) != names.end();
        if (shortest > 1 && !is_keyword) {
          Command typed = c;
          typed.words[j] = word.substr(0, shortest - 1);
          const std::string line = join(typed.words);
          auto got = resolve(*runner, line);
          INFO(line);
          if (const auto* m = std::get_if<Match>(&got)) {
            CHECK(m->node == expected);
          } else {
            CHECK(std::get<SyntaxError>(got).kind == ErrorKind::Ambiguous);
          }
          ++checked;
        }
      }
    }
  }
  CHECK(checked > 10000);
}

TEST_CASE("the abbreviations engineers type all day resolve in every view", "[cli][resolution]") {
  Device d(load_example("fw1.cfg"));
  const std::vector<std::pair<std::string, std::string>> daily = {
      {"dis cu", "display current-configuration"},
      {"di cu", "display current-configuration"},
      {"dis th", "display this"},
      {"dis ike sa", "display ike sa"},
      {"dis ip int br", "display ip interface brief"},
      {"dis ip ro", "display ip routing-table"},
      {"dis fi se ta", "display firewall session table"},
      {"q", "quit"},
      {"qu", "quit"},
      {"ret", "return"},
  };
  for (const ViewSetup& v : views()) {
    auto runner = stand_in(d, v);
    for (const auto& [typed, full] : daily) {
      INFO("view " << static_cast<int>(v.view) << ": " << typed);
      auto a = resolve(*runner, typed);
      auto b = resolve(*runner, full);
      REQUIRE(std::holds_alternative<Match>(a));
      REQUIRE(std::holds_alternative<Match>(b));
      CHECK(std::get<Match>(a).node == std::get<Match>(b).node);
    }
    // `d cu`: in user and system view no other command beginning with d takes `cu` (in an
    // interface view, `description cu` does).
    if (v.view == View::User || v.view == View::System) {
      auto a = resolve(*runner, "d cu");
      REQUIRE(std::holds_alternative<Match>(a));
      CHECK(std::get<Match>(a).node ==
            std::get<Match>(resolve(*runner, "display current-configuration")).node);
      // `d c` begins display clock, cpu-usage and current-configuration: the device says so.
      auto dc = resolve(*runner, "d c");
      REQUIRE(std::holds_alternative<SyntaxError>(dc));
      CHECK(std::get<SyntaxError>(dc).kind == ErrorKind::Ambiguous);
    }
  }
}

namespace {

// Every line the configuration keeps verbatim, wherever it is kept.
size_t kept_lines(const config::Config& c) {
  size_t n = c.vsys_sections.size() + c.security_policy.opaque.size() + c.nat_policy.opaque.size() +
             c.traffic_policy.opaque.size();
  for (const auto& b : c.opaque) n += b.lines.size();
  for (const auto& [name, i] : c.interfaces) n += i.opaque.size();
  for (const auto& z : c.zones) n += z.opaque.size();
  for (const auto& [num, a] : c.acls) n += a.opaque.size();
  for (const auto& r : c.security_policy.rules) n += r.opaque.size();
  for (const auto& r : c.nat_policy.rules) n += r.opaque.size();
  for (const auto& r : c.traffic_policy.rules) n += r.opaque.size();
  for (const auto& p : c.traffic_policy.profiles) n += p.opaque.size();
  for (const auto& s : c.address_sets) n += s.opaque.size();
  for (const auto& s : c.service_sets) n += s.opaque.size();
  for (const auto& g : c.address_groups) n += g.opaque.size();
  for (const auto& p : c.ipsec_proposals) n += p.opaque.size();
  for (const auto& p : c.ipsec_policies) n += p.opaque.size();
  for (const auto& p : c.ipsec_templates) n += p.opaque.size();
  for (const auto& p : c.ike_proposals) n += p.opaque.size();
  for (const auto& p : c.ike_peers) n += p.opaque.size();
  return n;
}

}  // namespace

TEST_CASE("no typed line adds a command vfw does not emulate to the running configuration",
          "[cli][resolution]") {
  Device d(load_example("fw1.cfg"));
  size_t typed_lines = 0;
  for (const ViewSetup& v : views()) {
    auto runner = stand_in(d, v);
    const size_t kept_before = kept_lines(d.config());
    const auto roots = command_engine().roots_for(runner->ctx, false);
    std::vector<Command> kept;
    for (const Root& root : roots) commands_under(*root.node, {}, kept, false);
    for (const Command& c : kept) {
      // The words as the device spells them, then each keyword abbreviated to its shortest
      // unique prefix, with and without a rest of line.
      std::vector<std::string> lines = {join(c.words)};
      Command shortest = c;
      for (size_t j = 0; j < c.words.size(); ++j) {
        if (c.keyword[j])
          shortest.words[j] =
              c.words[j].substr(0, unique_prefix_length(c.words[j], siblings(roots, c, j)));
      }
      lines.push_back(join(shortest.words));
      for (const std::string& line : lines) {
        for (const std::string& typed : {line, line + " enable"}) {
          const LineOutput r = runner->run(typed, 0);
          INFO("view " << static_cast<int>(v.view) << ": " << typed << " -> " << r.out << r.err);
          // It may name another command the view runs (an abbreviation that is a command vfw
          // has); whatever it did, it did not keep a line verbatim.
          CHECK(r.out.find("the configuration is kept") == std::string::npos);
          if (runner->ctx.frame().view != v.view || runner->pending_question() != nullptr) {
            runner = stand_in(d, v);
          }
          ++typed_lines;
        }
      }
    }
    // A line may have run an emulated command of the view (`profile t9z` in traffic-policy
    // makes a profile, as on the device); none was kept verbatim.
    CHECK(kept_lines(d.config()) == kept_before);
  }
  CHECK(typed_lines > 300);
}

TEST_CASE("a command the device has and vfw does not emulate says so when typed", "[cli]") {
  Device d(load_example("fw1.cfg"));
  LineRunner r(d);
  r.run("system-view", 0);
  const std::string before = config::render_current_configuration(d.config());
  const LineOutput snmp = r.run("snmp-agent sys-info version v3", 0);
  CHECK_FALSE(snmp.ok);
  CHECK(snmp.err ==
        "Error: \"snmp-agent\" is a command of the device that vfw does not emulate.\n");
  const LineOutput ui = r.run("user-interface vty 0 4", 0);
  CHECK_FALSE(ui.ok);
  CHECK(r.ctx.prompt() == "[FW1]");
  CHECK(config::render_current_configuration(d.config()) == before);
  // `?` lists it among the device's commands, marked.
  const std::string help = r.help_text("snmp");
  CHECK(help.find("snmp-agent") != std::string::npos);
  CHECK(help.find("not emulated by vfw") != std::string::npos);
  // sysname is emulated, sysname-ext is not.
  const std::string sysn = r.help_text("sysn");
  const size_t own = sysn.find("  sysname ");
  REQUIRE(own != std::string::npos);
  CHECK(sysn.substr(own, sysn.find('\n', own) - own).find("not emulated") == std::string::npos);
  CHECK(sysn.find("  sysname-ext") != std::string::npos);
}

TEST_CASE("the README's list of displays is what display's help offers, no more, no less",
          "[cli][resolution]") {
  std::ifstream in(std::string(VFW_SOURCE_DIR) + "/README.md");
  REQUIRE(in.good());
  const std::string readme((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // What `display ?` offers that vfw runs (its second words).
  Device d(load_example("fw1.cfg"));
  LineRunner r(d);
  std::vector<std::string> emulated;
  for (const auto& [word, help] : command_engine().help(r.ctx, "display ")) {
    if (word == "<cr>" || help.find("not emulated") != std::string::npos) continue;
    emulated.push_back(word);
    INFO(word);
    CHECK(readme.find("`display " + word) != std::string::npos);
  }
  REQUIRE(emulated.size() >= 15);
  // And every display the README's list names is one of them.
  const size_t list = readme.find("- `display current-configuration");
  const size_t list_end = readme.find("(layouts: `docs/display-formats.md`)", list);
  REQUIRE(list != std::string::npos);
  REQUIRE(list_end != std::string::npos);
  for (size_t at = readme.find("`display ", list); at != std::string::npos && at < list_end;
       at = readme.find("`display ", at + 1)) {
    const size_t start = at + 9;
    const size_t end = readme.find_first_of(" `", start);
    const std::string word = readme.substr(start, end - start);
    INFO(word);
    CHECK(std::find(emulated.begin(), emulated.end(), word) != emulated.end());
  }
}
