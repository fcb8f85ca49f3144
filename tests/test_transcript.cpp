// The reference transcript of a real USG6000V1 session (tests/data/reference/, copied from the
// device): typed into vfw line by line, every line must be accepted and every prompt must be the
// device's.
#include <catch2/catch.hpp>
#include <fstream>

#include "cli/line_runner.hpp"
#include "lab.hpp"

using namespace vfw;

namespace {

struct TypedLine {
  std::string prompt;
  std::string command;
  std::string next_output;  // the line the device printed after it, if any
};

std::vector<TypedLine> transcript_section(const std::string& device) {
  std::ifstream in(std::string(VFW_SOURCE_DIR) +
                   "/tests/data/reference/01_usg6000v1_ipsec_site2site_lab_transcript.txt");
  REQUIRE(in.good());
  std::vector<TypedLine> lines;
  bool inside = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("=====", 0) == 0) {
      inside = line == "===== " + device + " =====";
      continue;
    }
    if (!inside || line.empty()) continue;
    const char open = line[0];
    const size_t close = line.find(open == '<' ? '>' : ']');
    if ((open == '<' || open == '[') && close != std::string::npos && line.find("USG6000V1") == 1) {
      lines.push_back({line.substr(0, close + 1), line.substr(close + 1), ""});
    } else if (!lines.empty() && lines.back().next_output.empty()) {
      lines.back().next_output = line;
    }
  }
  return lines;
}

}  // namespace

TEST_CASE("the reference transcript types into vfw with the device's prompts",
          "[cli][transcript]") {
  for (const char* name : {"FW1", "FW2"}) {
    INFO(name);
    Device d;
    LineRunner runner(d);
    const auto lines = transcript_section(name);
    REQUIRE(lines.size() > 50);
    for (const TypedLine& l : lines) {
      INFO(l.prompt << l.command);
      CHECK(runner.ctx.prompt() == l.prompt);
      const LineOutput r = runner.run(l.command, l.prompt.size());
      INFO(r.err);
      CHECK(r.ok);
      if (l.next_output == "Enter system view, return user view with Ctrl+Z.") {
        CHECK(r.out == l.next_output + "\n");
      }
    }
  }
}

TEST_CASE("the transcript's FW1 ends with the configuration it typed", "[cli][transcript]") {
  Device d;
  LineRunner runner(d);
  for (const auto& l : transcript_section("FW1")) runner.run(l.command, 0);
  const config::Config& c = d.config();
  REQUIRE(c.acls.count(3000) == 1);
  CHECK(c.acls.at(3000).rules.at(0).id == 5);
  CHECK(c.interfaces.at("GigabitEthernet1/0/0").ipsec_policy == "xm137");
  REQUIRE(c.routes.size() == 1);
  CHECK(c.routes[0].next_hop == *parse_ipv4("20.0.0.2"));
  REQUIRE(c.security_policy.rules.size() == 2);
  CHECK(c.security_policy.rules[1].source_zones == std::vector<std::string>{"local", "untrust"});
  // The IKE views are emulated: the proposal and the peer hold what was typed.
  REQUIRE(c.ike_proposals.size() == 1);
  CHECK(c.ike_proposals[0].name == "1");
  CHECK(c.ike_proposals[0].encryption == std::vector<std::string>{"aes-256"});
  CHECK(c.ike_proposals[0].dh == std::vector<std::string>{"group14"});
  CHECK(c.ike_proposals[0].integrity == std::vector<std::string>{"hmac-sha2-256"});
  const config::IkePeer* peer = c.find_ike_peer("FW2");
  REQUIRE(peer != nullptr);
  CHECK(peer->pre_shared_key == "zxb.2317");
  CHECK(peer->ike_proposal == "1");
  CHECK(peer->remote_address == parse_ipv4("30.0.0.2"));
}
