// Time passes and sessions go: the device clock, aging, and reset firewall session table, as an
// engineer uses them after fixing a configuration live.
#include <catch2/catch.hpp>

#include "cli/line_runner.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

constexpr const char* kLan = "GigabitEthernet0/0/1";

std::string run(LineRunner& r, const std::string& line) {
  const LineOutput out = r.run(line, 0);
  INFO(line << "\n" << out.err);
  REQUIRE(out.ok);
  return out.out;
}

}  // namespace

TEST_CASE("after a live fix, reset firewall session table and the next packet show it",
          "[session][cli]") {
  // The seed's misordered NAT: easy-ip translates the VPN's traffic before the security ACL sees
  // it. A no-nat rule moved above it fixes new flows, but the established session keeps its
  // translation until it is reset, as on the device.
  Device d(load_example("fw1-misordered-nat.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  auto snat_of = [&](uint16_t id) {
    Sent s = send(d, icmp("10.1.1.2", "10.2.1.2", id), kLan);
    const TraceStep* snat = s.step(StageId::Snat);
    return snat == nullptr ? std::string("(fast path)") : std::string(outcome_id(snat->result));
  };
  REQUIRE(snat_of(7) == "translated");
  for (const char* line :
       {"nat-policy", "rule name no_vpn", "source-zone trust", "destination-zone untrust",
        "source-address 10.1.1.0 24", "destination-address 10.2.1.0 24", "action no-nat", "quit",
        "rule move no_vpn top", "return"}) {
    run(r, line);
  }
  // The same flow rides its session: the old translation, without the snat stage.
  Sent again = send(d, icmp("10.1.1.2", "10.2.1.2", 7), kLan);
  CHECK(again.step(StageId::Session)->result == Outcome::Hit);
  CHECK(again.after.src == *parse_ipv4("1.1.1.1"));

  CHECK(run(r, "display firewall session table").find("Current Total Sessions : 1") !=
        std::string::npos);
  run(r, "reset firewall session table");
  CHECK(run(r, "display firewall session table").find("Current Total Sessions : 0") !=
        std::string::npos);
  Sent fixed = send(d, icmp("10.1.1.2", "10.2.1.2", 7), kLan);
  CHECK(fixed.step(StageId::Session)->result == Outcome::Miss);
  CHECK(fixed.step(StageId::Snat)->result == Outcome::NoNat);
  // The security ACL now sees the untranslated source: the packet is the tunnel's (and waits for
  // an SA, as the example has no keys), no longer sent in plain text.
  CHECK(fixed.step(StageId::Ipsec)->matched.rfind("ipsec policy", 0) == 0);
  CHECK(fixed.step(StageId::Ipsec)->result != Outcome::Bypass);
}

TEST_CASE("reset firewall session table takes only the sessions its filter names", "[session]") {
  Device d(load_example("nat-lab.cfg"));
  REQUIRE(send(d, icmp("10.1.1.2", "8.8.8.8", 1), kLan).action == Action::Forward);
  REQUIRE(send(d, icmp("10.1.1.3", "8.8.8.8", 2), kLan).action == Action::Forward);
  REQUIRE(send(d, udp("10.1.1.2", 5000, "8.8.4.4", 53), kLan).action == Action::Forward);
  REQUIRE(d.runtime().sessions.size() == 3);
  LineRunner r(d);
  run(r, "reset firewall session table source 10.1.1.3");
  CHECK(d.runtime().sessions.size() == 2);
  run(r, "reset firewall session table protocol udp destination 8.8.4.4");
  CHECK(d.runtime().sessions.size() == 1);
  run(r, "reset firewall session table destination 9.9.9.9");
  CHECK(d.runtime().sessions.size() == 1);
  run(r, "reset firewall session table");
  CHECK(d.runtime().sessions.size() == 0);
  // The translated ports went back to the pool: the same flows get sessions again.
  CHECK(send(d, icmp("10.1.1.3", "8.8.8.8", 2), kLan).action == Action::Forward);
}

TEST_CASE("the device clock follows the wall clock in the CLI, sessions age by it", "[session]") {
  Device d(load_example("nat-lab.cfg"));
  d.set_time(1000);
  d.follow_wall_clock();
  CHECK(d.now() >= 1000);
  CHECK(d.now() <= 1001);
  REQUIRE(send(d, icmp("10.1.1.2", "8.8.8.8", 1), kLan).action == Action::Forward);
  // The clock can still be moved on (the lab's simulated time): ICMP sessions age after 20 s.
  d.set_time(d.now() + 21);
  LineRunner r(d);
  CHECK(run(r, "display firewall session table").find("Current Total Sessions : 0") !=
        std::string::npos);
}

TEST_CASE("a configuration file cannot reset sessions", "[session][config]") {
  cli::LoadResult r = cli::load_config_text("reset firewall session table\n", "x.cfg");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].message ==
        "Error: This command acts on the running device; a configuration file cannot run it.");
}

TEST_CASE("an error only compiling finds reaches the user who typed the line", "[cli]") {
  // A manual SA key of the wrong length for its proposal is found when the SAs are made: the
  // line that made it so gets the warning, at once.
  Device d(load_example("ipsec-manual-fw1.cfg"));
  LineRunner r(d);
  r.ctx.enter_system();
  run(r, "ipsec policy map1 10 manual");
  const LineOutput out = r.run("sa encryption-hex outbound esp a1a1a1a1", 0);
  CHECK(out.ok);
  CHECK(out.err.rfind("Warning: ipsec policy map1 10", 0) == 0);
  CHECK(out.err.find("the encryption key must be 32 bytes") != std::string::npos);
}
