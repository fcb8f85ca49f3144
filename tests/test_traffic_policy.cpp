// traffic-policy's connection limits: one host cannot take the session table (issue 25). The
// forms of the configuration (V500's and V600's), the counts as sessions come and go, and the
// named drop.
#include <catch2/catch.hpp>

#include "cli/config_loader.hpp"
#include "cli/line_runner.hpp"
#include "config/render.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";
constexpr const char* kWan = "GigabitEthernet0/0/2";

std::string run(LineRunner& r, const std::string& line) {
  const LineOutput out = r.run(line, 0);
  INFO(line << "\n" << out.err);
  REQUIRE(out.ok);
  return out.out;
}

// nat-lab.cfg with a traffic-policy typed into it.
Device limited(const std::vector<std::string>& lines) {
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  for (const auto& line : lines) run(r, line);
  return d;
}

Sent udp_flow(Device& d, const char* src, uint16_t sport, const char* dst = "8.8.8.8",
              const char* in = kLan) {
  return send(d, udp(src, sport, dst, 53), in);
}

}  // namespace

TEST_CASE("a per-ip connection limit stops one source at its count, not the others",
          "[traffic-policy][pipeline]") {
  Device d = limited({"traffic-policy", "profile lan_hosts",
                      "bandwidth connection-limit per-ip upstream 3", "quit", "rule name lan",
                      "source-zone trust", "action qos profile lan_hosts"});
  for (uint16_t port = 1000; port < 1003; ++port)
    REQUIRE(udp_flow(d, "10.1.1.2", port).action == Action::Forward);
  Sent fourth = udp_flow(d, "10.1.1.2", 1003);
  CHECK(fourth.drop() == DropReason::ConnectionLimit);
  const TraceStep* step = fourth.step(StageId::TrafficPolicy);
  REQUIRE(step != nullptr);
  CHECK(step->matched == "rule lan profile lan_hosts");
  REQUIRE(!step->info.empty());
  CHECK(step->info.back() ==
        "10.1.1.2's sessions have reached the per-ip (source) connection limit 3 of profile "
        "lan_hosts (3 live)");
  CHECK(d.runtime().drops[DropReason::ConnectionLimit] == 1);
  // Another host of the same rule has its own count; a flow already admitted keeps passing.
  CHECK(udp_flow(d, "10.1.1.3", 1003).action == Action::Forward);
  CHECK(udp_flow(d, "10.1.1.2", 1000).action == Action::Forward);
  // A dropped flow took nothing: no session, no NAT port.
  CHECK(d.runtime().sessions.size() == 4);
}

TEST_CASE("sessions that age or are reset give their place back", "[traffic-policy][session]") {
  Device d = limited({"traffic-policy", "profile p", "bandwidth total connection-limit per-ip 2",
                      "quit", "rule name lan", "source-zone trust", "action qos profile p"});
  REQUIRE(udp_flow(d, "10.1.1.2", 1).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 2).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 3).drop() == DropReason::ConnectionLimit);
  // UDP sessions age in 120 s: aged out by the device's own slices, the host may open again.
  d.set_time(d.now() + 200);
  d.runtime().age_slice(d.now(), d.runtime().sessions.capacity());
  CHECK(d.runtime().session_counts.entries() == 0);
  REQUIRE(udp_flow(d, "10.1.1.2", 3).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 4).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 5).drop() == DropReason::ConnectionLimit);
  LineRunner r(d);
  run(r, "reset firewall session table source 10.1.1.2");
  CHECK(d.runtime().session_counts.entries() == 0);
  CHECK(udp_flow(d, "10.1.1.2", 5).action == Action::Forward);
}

TEST_CASE("downstream counts each destination after DNAT, whole counts the rule",
          "[traffic-policy][nat]") {
  // The nat server mail (1.1.1.4 -> 192.168.100.20): the limit protects the server itself.
  Device d = limited(
      {"traffic-policy", "profile server", "bandwidth connection-limit per-ip downstream 2", "quit",
       "profile all", "bandwidth connection-limit whole both 3", "quit", "rule name mail",
       "source-zone untrust", "destination-address 192.168.100.20 32", "action qos profile server",
       "quit", "rule name lan", "source-zone trust", "action qos profile all"});
  CHECK(udp_flow(d, "203.0.113.1", 1, "1.1.1.4", kWan).action == Action::Forward);
  CHECK(udp_flow(d, "203.0.113.2", 1, "1.1.1.4", kWan).action == Action::Forward);
  Sent third = udp_flow(d, "203.0.113.3", 1, "1.1.1.4", kWan);
  CHECK(third.drop() == DropReason::ConnectionLimit);
  CHECK(third.step(StageId::TrafficPolicy)->info.back().rfind("192.168.100.20's sessions", 0) == 0);
  // Whole: three sessions from any hosts of the rule, then none.
  CHECK(udp_flow(d, "10.1.1.2", 1).action == Action::Forward);
  CHECK(udp_flow(d, "10.1.1.3", 1).action == Action::Forward);
  CHECK(udp_flow(d, "10.1.1.4", 1).action == Action::Forward);
  CHECK(udp_flow(d, "10.1.1.5", 1).drop() == DropReason::ConnectionLimit);
}

TEST_CASE(
    "first match: a no-qos rule above exempts its traffic, a rule keeps its counts across "
    "configuration changes",
    "[traffic-policy][cli]") {
  Device d = limited({"traffic-policy", "profile p", "bandwidth connection-limit per-ip both 1",
                      "quit", "rule name admin", "source-zone trust", "source-address 10.1.1.9 32",
                      "action no-qos", "quit", "rule name lan", "source-zone trust",
                      "action qos profile p"});
  for (uint16_t port = 1; port <= 5; ++port)
    CHECK(udp_flow(d, "10.1.1.9", port).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 1).action == Action::Forward);
  REQUIRE(udp_flow(d, "10.1.1.2", 2).drop() == DropReason::ConnectionLimit);
  // Edited (a description, another rule added above): the live session still counts.
  LineRunner r(d);
  r.ctx.enter_system();
  for (const char* line :
       {"traffic-policy", "rule name lan", "description lan hosts", "quit", "rule name first",
        "source-zone dmz", "action no-qos", "rule move first top"})
    run(r, line);
  CHECK(udp_flow(d, "10.1.1.2", 3).drop() == DropReason::ConnectionLimit);
  // Deleted: nothing limits; the counts it held go with their sessions, not before.
  run(r, "undo rule name lan");
  CHECK(udp_flow(d, "10.1.1.2", 3).action == Action::Forward);
  CHECK(d.runtime().session_counts.entries() == 1);
  run(r, "return");
  run(r, "reset firewall session table");
  CHECK(d.runtime().session_counts.entries() == 0);
}

TEST_CASE(
    "traffic-policy loads in both devices' forms, keeps what it does not emulate, and prints "
    "back",
    "[traffic-policy][config]") {
  // As a USG6300 on V500R001 saved it (docs/research/session-limit.txt), with V600's form.
  const std::string text =
      "#\n sysname FW\n#\n"
      "traffic-policy\n"
      " profile qos\n"
      "  bandwidth upstream maximum-bandwidth 100000\n"
      "  bandwidth total connection-limit per-ip 10000\n"
      "  bandwidth ip-car upstream maximum-bandwidth per-ip 100000\n"
      " profile v600\n"
      "  bandwidth connection-limit whole upstream 20000\n"
      " rule name limit\n"
      "  source-zone trust\n"
      "  egress-interface GigabitEthernet1/0/0\n"
      "  source-address address-set everyip\n"
      "  action qos profile qos\n"
      "#\nreturn\n";
  const std::string with_set = "#\nip address-set everyip type object\n address 0 0.0.0.0 0\n" +
                               text.substr(text.find("#\ntraffic"));
  cli::LoadResult r = cli::load_config_text("#\n sysname FW\n" + with_set, "tp.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.errors.empty());
  const auto& tp = r.config.traffic_policy;
  REQUIRE(tp.profiles.size() == 2);
  REQUIRE(tp.profiles[0].limits.size() == 1);
  CHECK(tp.profiles[0].limits[0].count == 10000);
  CHECK(tp.profiles[0].limits[0].direction == "total");
  CHECK(tp.profiles[0].opaque.size() == 2);  // bandwidth and CAR are not emulated: kept
  CHECK(tp.rules.size() == 1);
  const std::string shown = config::render_current_configuration(r.config);
  for (const char* line :
       {"  bandwidth total connection-limit per-ip 10000\n",
        "  bandwidth connection-limit whole upstream 20000\n",
        "  bandwidth upstream maximum-bandwidth 100000\n", "  action qos profile qos\n"}) {
    INFO(line);
    CHECK(shown.find(line) != std::string::npos);
  }
  // Between security-policy and nat-policy, as the device prints it; and it loads back the same.
  CHECK(shown.find("#\ntraffic-policy\n") > shown.find("security-policy\n"));
  cli::LoadResult again = cli::load_config_text(shown, "shown.cfg");
  REQUIRE(again.errors.empty());
  CHECK(config::render_current_configuration(again.config) == shown);
}

TEST_CASE("traffic-policy's commands refuse what the device refuses", "[traffic-policy][cli]") {
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  run(r, "traffic-policy");
  CHECK(r.ctx.frame().prompt == "policy-traffic");
  run(r, "profile p");
  CHECK(r.ctx.frame().prompt == "policy-traffic-profile-p");
  CHECK_FALSE(r.run("bandwidth connection-limit per-ip upstream 0", 0).ok);
  run(r, "bandwidth connection-limit per-ip upstream 5");
  run(r, "bandwidth connection-limit per-ip upstream 7");  // replaces
  CHECK(d.config().traffic_policy.profiles[0].limits.size() == 1);
  CHECK(d.config().traffic_policy.profiles[0].limits[0].count == 7);
  CHECK(run(r, "display this") == "  bandwidth connection-limit per-ip upstream 7\n");
  run(r, "bandwidth total connection-limit per-ip 9");  // V500's form beside it, its undo too
  run(r, "undo bandwidth total connection-limit per-ip");
  CHECK(d.config().traffic_policy.profiles[0].limits.size() == 1);
  run(r, "undo bandwidth connection-limit per-ip upstream");
  CHECK(r.run("undo bandwidth connection-limit per-ip upstream", 0).err ==
        "Error: The connection limit is not configured.\n");
  run(r, "quit");
  run(r, "rule name r");
  CHECK(r.ctx.frame().prompt == "policy-traffic-rule-r");
  CHECK(r.run("action qos profile nothing", 0).err ==
        "Error: The profile nothing does not exist.\n");
  run(r, "action qos profile p");
  CHECK(run(r, "display this") == "  action qos profile p\n");
  run(r, "quit");
  CHECK(run(r, "display this").find("traffic-policy\n profile p\n rule name r\n") !=
        std::string::npos);
  CHECK(r.run("undo profile p", 0).err ==
        "Error: The profile is referenced by traffic-policy rule r.\n");
}

TEST_CASE("? describes every keyword of the traffic-policy views", "[traffic-policy][cli]") {
  Device d(load_example("nat-lab.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  const std::vector<std::pair<std::vector<std::string>, std::string>> asked = {
      {{}, "traffic-policy"},
      {{"traffic-policy", "profile p"}, "bandwidth "},
      {{}, "bandwidth connection-limit "},
      {{}, "bandwidth connection-limit per-ip "},
      {{}, "bandwidth "},
      {{"quit", "rule name r"}, "action "},
      {{}, "action qos "},
  };
  for (const auto& [lines, partial] : asked) {
    for (const auto& line : lines) run(r, line);
    const auto offered = cli::command_engine().help(r.ctx, partial);
    REQUIRE_FALSE(offered.empty());
    for (const auto& [word, help] : offered) {
      INFO(partial << "? " << word);
      if (word != "<cr>") CHECK_FALSE(help.empty());
    }
  }
}
