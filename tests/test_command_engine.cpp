#include <catch2/catch.hpp>

#include "cli/command_engine.hpp"
#include "cli/config_loader.hpp"
#include "config/render.hpp"

using namespace vfw;
using namespace vfw::cli;

namespace {

struct Typist {
  config::Config cfg = config::Config::factory_default();
  CommandContext ctx{cfg, nullptr};
  Typist() { ctx.to_system(); }
  LineResult type(const std::string& line) { return command_engine().execute(ctx, line); }
  std::string prompt() const { return ctx.prompt(); }
};

}  // namespace

TEST_CASE("the transcript's abbreviations select the same commands as the full words", "[cli]") {
  Typist t;
  REQUIRE(t.type("firewall zone trust").ok);
  CHECK(t.prompt() == "[USG6000V1-zone-trust]");
  REQUIRE(t.type("a i g 1/0/1").ok);
  REQUIRE(t.type("q").ok);
  REQUIRE(t.type("int g1/0/0").ok);
  CHECK(t.prompt() == "[USG6000V1-GigabitEthernet1/0/0]");
  REQUIRE(t.type("ip a 20.0.0.1 24").ok);
  REQUIRE(t.type("sec").ok);  // security-policy, from the interface view: runs in system view
  CHECK(t.prompt() == "[USG6000V1-policy-security]");
  REQUIRE(t.type("rule n ping").ok);
  CHECK(t.prompt() == "[USG6000V1-policy-security-rule-ping]");
  REQUIRE(t.type("source-zone trust").ok);
  REQUIRE(t.type("ac p").ok);
  REQUIRE(t.type("int g1/0/0").ok);  // a parent view's command moves the prompt
  CHECK(t.prompt() == "[USG6000V1-GigabitEthernet1/0/0]");

  const auto& zone = *t.cfg.find_zone("trust");
  CHECK(std::find(zone.interfaces.begin(), zone.interfaces.end(), "GigabitEthernet1/0/1") !=
        zone.interfaces.end());
  REQUIRE(t.cfg.interfaces.at("GigabitEthernet1/0/0").address);
  CHECK(to_string(t.cfg.interfaces.at("GigabitEthernet1/0/0").address->host) == "20.0.0.1");
  REQUIRE(t.cfg.security_policy.rules.size() == 1);
  CHECK(t.cfg.security_policy.rules[0].action == config::PolicyAction::Permit);
}

TEST_CASE("the five caret errors point at the offending token", "[cli]") {
  Typist t;
  SECTION("unrecognized") {
    auto r = t.type("frobnicate now");
    CHECK(r.error == "Error: Unrecognized command found at '^' position.");
    CHECK(r.caret_column == 0);
  }
  SECTION("incomplete") {
    auto r = t.type("sysname");
    CHECK(r.error == "Error: Incomplete command found at '^' position.");
    CHECK(r.caret_column == 8);
  }
  SECTION("ambiguous") {
    auto amb = t.type("interface g0/0/1");
    REQUIRE(amb.ok);
    auto a2 = t.type("s 1.1.1.1");  // shutdown, service-manage, ...
    CHECK(a2.error == "Error: Ambiguous command found at '^' position.");
    CHECK(a2.caret_column == 0);
  }
  SECTION("wrong parameter") {
    REQUIRE(t.type("interface GigabitEthernet 0/0/1").ok);
    auto r = t.type("ip address 300.1.1.1 24");
    CHECK(r.error == "Error: Wrong parameter found at '^' position.");
    CHECK(r.caret_column == 11);
    r = t.type("ip address 10.1.1.1 33");
    CHECK(r.error == "Error: Wrong parameter found at '^' position.");
    CHECK(r.caret_column == 20);
  }
  SECTION("too many parameters") {
    auto r = t.type("security-policy extra");
    CHECK(r.error == "Error: Too many parameters found at '^' position.");
    CHECK(r.caret_column == 16);
  }
}

TEST_CASE("undo removes what the command added", "[cli]") {
  Typist t;
  REQUIRE(t.type("ip route-static 10.9.0.0 16 1.1.1.2").ok);
  REQUIRE(t.cfg.routes.size() == 1);
  REQUIRE(t.type("undo ip route-static 10.9.0.0 255.255.0.0 1.1.1.2").ok);
  CHECK(t.cfg.routes.empty());
  CHECK_FALSE(t.type("undo ip route-static 10.9.0.0 16").ok);
  REQUIRE(t.type("sysname FW9").ok);
  CHECK(t.prompt() == "[FW9]");
  REQUIRE(t.type("undo sysname").ok);
  CHECK(t.cfg.sysname == "USG6000V1");
}

TEST_CASE("ACL rules are numbered by step when typed without a number", "[cli]") {
  Typist t;
  REQUIRE(t.type("acl 3000").ok);
  CHECK(t.prompt() == "[USG6000V1-acl-adv-3000]");
  REQUIRE(
      t.type("rule permit ip source 192.168.17.0 0.0.0.255 destination 192.168.18.0 0.0.0.255").ok);
  REQUIRE(t.type("rule permit tcp destination-port eq 443").ok);
  REQUIRE(t.type("rule 7 deny udp source 10.0.0.1 0").ok);
  const auto& rules = t.cfg.acls.at(3000).rules;
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].id == 5);
  CHECK(rules[1].id == 7);
  CHECK(rules[2].id == 10);
  CHECK(config::render_acl_rule(rules[0]) ==
        "rule 5 permit ip source 192.168.17.0 0.0.0.255 destination 192.168.18.0 0.0.0.255");
  CHECK(config::render_acl_rule(rules[1]) == "rule 7 deny udp source 10.0.0.1 0");
  CHECK_FALSE(t.type("rule permit icmp destination-port eq 80").ok);  // ports only for tcp/udp
}

TEST_CASE("references to missing zones, sets and groups are refused", "[cli]") {
  Typist t;
  REQUIRE(t.type("security-policy").ok);
  REQUIRE(t.type("rule name r1").ok);
  auto r = t.type("source-zone nowhere");
  CHECK_FALSE(r.ok);
  CHECK_FALSE(r.syntax);
  CHECK(r.error == "Error: The security zone nowhere does not exist.");
  CHECK_FALSE(t.type("source-address address-set missing").ok);
  CHECK_FALSE(t.type("service missing-service").ok);
  REQUIRE(t.type("nat-policy").ok);
  REQUIRE(t.type("rule name n1").ok);
  CHECK_FALSE(t.type("action source-nat address-group nogroup").ok);
}

TEST_CASE("a configuration file with a malformed line applies nothing and names the line",
          "[cli]") {
  const std::string text =
      "#\n sysname BAD\n#\ninterface GigabitEthernet0/0/1\n ip address 10.1.1.1 24\n ip address "
      "1.1.1.300 24\n#\nreturn\n";
  LoadResult r = load_config_text(text, "bad.cfg");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 6);
  CHECK(r.errors[0].format() ==
        "bad.cfg:6: Error: Wrong parameter found at '^' position.\n ip address 1.1.1.300 24\n"
        "            ^\n");
  CHECK_FALSE(r.ok());
}

TEST_CASE("unemulated lines are kept, shown again and reported once", "[cli]") {
  const std::string text =
      "#\n sysname FWX\n info-center timestamp log date\n undo info-center enable\n#\n"
      "aaa\n authentication-scheme default\n manager-user admin\n  password cipher xyz\n#\n"
      "hrp enable\nhrp interface GigabitEthernet0/0/3 remote 10.10.0.2\n#\n"
      "interface GigabitEthernet0/0/1\n vrrp vrid 1 virtual-ip 10.1.1.254 active\n ip address "
      "10.1.1.1 24\n#\n"
      "return\n";
  LoadResult r = load_config_text(text, "real.cfg");
  REQUIRE(r.ok());
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find(" info-center timestamp log date\n") != std::string::npos);
  CHECK(shown.find(" undo info-center enable\n") != std::string::npos);
  // aaa is read for its users (config/aaa.hpp): a password in clear is sealed when loaded.
  CHECK(shown.find("aaa\n authentication-scheme default\n manager-user admin\n  password cipher "
                   "%^%#") != std::string::npos);
  CHECK(shown.find("xyz") == std::string::npos);
  CHECK(shown.find(" vrrp vrid 1 virtual-ip 10.1.1.254 active\n") != std::string::npos);
  // "hrp" twice, reported once.
  CHECK(std::count_if(r.notices.begin(), r.notices.end(), [](const std::string& n) {
          return n.find("\"hrp\"") != std::string::npos;
        }) == 1);
  CHECK(r.notices.size() == 4);  // info-center, undo info-center, hrp, vrrp
}

TEST_CASE("a file's word vfw does not know is kept, named with the keyword it may misspell",
          "[cli]") {
  // A saved file is the device's own: `sftp server enable` is a V500 command, one letter from
  // `ftp`. It is kept; the notice names the likelier spelling, and --strict refuses it.
  const std::string text =
      "#\nsftp server enable\n#\ninterface GigabitEthernet0/0/1\n ip adress 1.1.1.1 24\n#\n"
      "return\n";
  LoadResult r = load_config_text(text, "typo.cfg");
  REQUIRE(r.ok());
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("sftp server enable\n") != std::string::npos);
  CHECK(shown.find(" ip adress 1.1.1.1 24\n") != std::string::npos);
  CHECK(std::find(r.notices.begin(), r.notices.end(),
                  "Info: \"ip adress\" is not a command vfw knows (a typing mistake for "
                  "\"address\"?); the line is kept.") != r.notices.end());
  LoadResult strict = load_config_text(text, "typo.cfg", config::Config::factory_default(), {true});
  REQUIRE(strict.errors.size() == 2);
  CHECK(strict.errors[0].line == 2);
  CHECK(strict.errors[1].message == "Error: \"ip adress\" is not a command vfw knows (--strict).");
  // Typed, a mistake is the device's caret error, never kept.
  Typist t;
  CHECK(t.type("firewall zoen trust").error ==
        "Error: Unrecognized command found at '^' position.");
}

TEST_CASE("a command that fails changes nothing", "[cli]") {
  Typist t;
  REQUIRE(t.type("security-policy").ok);
  REQUIRE(t.type("rule name r1").ok);
  CHECK_FALSE(t.type("source-zone trust nosuch").ok);
  CHECK(t.cfg.security_policy.rules.at(0).source_zones.empty());
  CHECK_FALSE(t.type("service http nosuch").ok);
  CHECK(t.cfg.security_policy.rules.at(0).services.empty());
  REQUIRE(t.type("source-zone trust untrust").ok);
  CHECK(t.cfg.security_policy.rules.at(0).source_zones ==
        std::vector<std::string>{"trust", "untrust"});
}

TEST_CASE("a route typed again updates it, 20,000 distinct routes are all kept", "[cli]") {
  Typist t;
  for (uint32_t i = 0; i < 20000; ++i) {
    const std::string net = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0";
    REQUIRE(t.type("ip route-static " + net + " 24 192.168.0.2").ok);
  }
  REQUIRE(t.type("ip route-static 10.0.1.0 24 192.168.0.2 preference 70").ok);
  REQUIRE(t.cfg.routes.size() == 20000);
  CHECK(t.cfg.routes[1].preference == 70);
  REQUIRE(t.type("undo ip route-static 10.0.1.0 24").ok);
  CHECK(t.cfg.routes.size() == 19999);
  REQUIRE(t.type("ip route-static 10.0.1.0 24 192.168.0.2").ok);
  CHECK(t.cfg.routes.size() == 20000);
}

TEST_CASE("abbreviations resolve against the device's keywords, the words after deciding",
          "[cli]") {
  Typist t;
  t.ctx.to_user();
  // In the user view `d` begins debugging, delete, dir and display; `cu` only fits
  // display current-configuration, as on the device.
  CHECK(t.type("d cu").ok);
  CHECK(t.type("dis cu").ok);
  // `d c`: clock, cpu-usage and current-configuration all begin so.
  LineResult ambiguous = t.type("d c");
  CHECK_FALSE(ambiguous.ok);
  CHECK(ambiguous.error == "Error: Ambiguous command found at '^' position.");
  // A command the device has and vfw does not emulate says so.
  LineResult clock = t.type("display clock");
  CHECK_FALSE(clock.ok);
  CHECK(clock.error ==
        "Error: \"display clock\" is a command of the device that vfw does not "
        "emulate.");
  CHECK(clock.syntax == false);
  LineResult reboot = t.type("reboot");
  CHECK(reboot.error == "Error: \"reboot\" is a command of the device that vfw does not emulate.");
  // A word the device does not have is still unrecognized.
  CHECK(t.type("frobnicate").error == "Error: Unrecognized command found at '^' position.");
}

TEST_CASE("rules are found by name after moves, removals and additions", "[cli]") {
  // The name index beside the rule list must never claim a rule absent that is there, nor
  // point at another rule.
  Typist t;
  REQUIRE(t.type("security-policy").ok);
  for (const char* name : {"a", "b", "c"}) {
    REQUIRE(t.type(std::string("rule name ") + name).ok);
    REQUIRE(t.type("quit").ok);
  }
  REQUIRE(t.type("undo rule name b").ok);
  REQUIRE(t.type("rule name d").ok);  // as many rules as before, one name changed
  REQUIRE(t.type("action deny").ok);
  REQUIRE(t.type("quit").ok);
  REQUIRE(t.type("rule move d top").ok);
  REQUIRE(t.type("rule name c").ok);
  REQUIRE(t.type("action permit").ok);
  REQUIRE(t.type("quit").ok);
  const auto& rules = t.cfg.security_policy.rules;
  REQUIRE(rules.size() == 3);
  CHECK(rules[0].name == "d");
  CHECK(rules[0].action == config::PolicyAction::Deny);
  CHECK(rules[2].name == "c");
  CHECK(rules[2].action == config::PolicyAction::Permit);
  CHECK_FALSE(t.type("rule move b top").ok);
}
