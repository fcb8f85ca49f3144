// packet-trace --replay: a capture's packets through the device in order, with state, each
// traced, then a summary by flow; frames without an IPv4 packet reported by number. The captures
// are the lab's own (Ethernet) and small files written here in the other link types tcpdump and
// tshark write (Linux cooked SLL and SLL2, raw IP, 802.1Q-tagged Ethernet).
#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cli/line_runner.hpp"
#include "device/pcap_reader.hpp"
#include "device/pcap_replay.hpp"
#include "lab.hpp"
#include "seed_lab.hpp"

using namespace vfw;

namespace {

void le32(std::string& s, uint32_t v) {
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}
void le16(std::string& s, uint16_t v) {
  s.push_back(static_cast<char>(v));
  s.push_back(static_cast<char>(v >> 8));
}

// A classic pcap file of the given link type with these frames, one a second.
std::string pcap_file(uint32_t link_type, const std::vector<std::string>& frames) {
  std::string s;
  le32(s, 0xa1b2c3d4);
  le16(s, 2);
  le16(s, 4);
  le32(s, 0);
  le32(s, 0);
  le32(s, 65535);
  le32(s, link_type);
  uint32_t t = 1767225600;
  for (const auto& f : frames) {
    le32(s, t++);
    le32(s, 0);
    le32(s, static_cast<uint32_t>(f.size()));
    le32(s, static_cast<uint32_t>(f.size()));
    s += f;
  }
  return s;
}

std::string bytes(const std::vector<uint8_t>& v) {
  return std::string(v.begin(), v.end());
}

std::string write(const std::string& name, const std::string& content) {
  const std::string path = "pcap-replay-" + name;
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<uint8_t> ping_packet() {
  return build_packet(test::icmp("10.1.1.2", "10.2.1.2", 7));
}

}  // namespace

TEST_CASE("every link type a capture tool writes gives back the IPv4 packet, or says why not",
          "[replay]") {
  const std::string ip = bytes(ping_packet());
  const std::string mac(12, '\x02');
  struct Case {
    const char* name;
    uint32_t link_type;
    std::string frame;
  };
  const std::vector<Case> cases = {
      {"ethernet", 1, mac + std::string("\x08\x00", 2) + ip},
      {"vlan", 1, mac + std::string("\x81\x00\x00\x0a\x08\x00", 6) + ip},
      {"sll", 113, std::string(14, '\0') + std::string("\x08\x00", 2) + ip},
      {"sll2", 276, std::string("\x08\x00", 2) + std::string(18, '\0') + ip},
      {"raw", 101, ip},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = PcapReader::open(write(c.name, pcap_file(c.link_type, {c.frame})));
    REQUIRE(r);
    auto p = (*r)->next();
    REQUIRE(p);
    CHECK(p->number == 1);
    CHECK(bytes(p->ip) == ip);
    CHECK_FALSE((*r)->next());
  }
  // ARP and IPv6 are named; a frame cut by the snapshot length too.
  auto r = PcapReader::open(
      write("other", pcap_file(1, {mac + std::string("\x08\x06", 2) + std::string(28, '\0'),
                                   mac + std::string("\x86\xdd", 2) + std::string(40, '\0')})));
  REQUIRE(r);
  CHECK((*r)->next()->skipped == "ARP");
  CHECK((*r)->next()->skipped == "IPv6 (not emulated yet)");
  // Not a capture at all: libpcap's own words.
  CHECK_FALSE(PcapReader::open(write("text", "not a capture\n")));
  // A link type without IPv4 in it.
  auto usb = PcapReader::open(write("usb", pcap_file(189, {"x"})));
  REQUIRE_FALSE(usb);
  CHECK(usb.error().message.find("is not read") != std::string::npos);
}

TEST_CASE(
    "a capture from the lab replays through FW1: every packet traced, with state, then a "
    "summary by flow",
    "[replay][lab]") {
  auto lab = test::seed_lab();
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", "pcap-replay-lab.pcap"));
  REQUIRE(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 3).received >= 2);
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", ""));

  Device fw1(test::load_example("fw1.cfg"));
  std::ostringstream out;
  REQUIRE(run_pcap_replay(fw1, {"pcap-replay-lab.pcap", "", false, 0}, out, out));
  const std::string text = out.str();
  INFO(text);
  // PC1's ARP for its gateway is reported, not traced.
  CHECK(text.find("packet 1: not traced: ARP\n") != std::string::npos);
  // The echo requests arrive on GigabitEthernet0/0/1 (the interface back to 10.1.1.2); the first
  // starts IKE and is held (no peer answers this FW1), the next find the negotiation under way.
  CHECK(text.find(", input GigabitEthernet0/0/1") != std::string::npos);
  CHECK(text.find("Held for:         ipsec-sa-negotiating") != std::string::npos);
  // The replies the capture holds come from 10.2.1.2, back through GigabitEthernet0/0/2 in plain
  // text, where FW1 expects them in its tunnel.
  CHECK(text.find("input GigabitEthernet0/0/2") != std::string::npos);
  CHECK(text.find("Replayed ") != std::string::npos);
  CHECK(text.find("  icmp 10.1.1.2 -> 10.2.1.2 id ") != std::string::npos);
  CHECK(text.find("held (ipsec-sa-negotiating)") != std::string::npos);

  // JSON: one trace object a line, the device's own packet-trace JSON.
  Device again(test::load_example("fw1.cfg"));
  std::ostringstream json, err;
  REQUIRE(run_pcap_replay(again, {"pcap-replay-lab.pcap", "g0/0/1", true, 0}, json, err));
  std::istringstream lines(json.str());
  size_t n = 0;
  for (std::string line; std::getline(lines, line); ++n)
    CHECK(line.rfind("{\"version\":2,\"device\":\"FW1\",\"packet\":\"packet ", 0) == 0);
  CHECK(n >= 6);  // three requests, three replies
  CHECK(err.str().find("packet 1: not traced: ARP") != std::string::npos);
  // An interface the device does not have is refused before anything runs.
  std::ostringstream none;
  CHECK_FALSE(run_pcap_replay(again, {"pcap-replay-lab.pcap", "g9/9/9", false, 0}, none, none));
}

TEST_CASE(
    "packet-trace replay on the device's CLI: the capture through a copy, the running device "
    "untouched",
    "[replay][cli]") {
  auto lab = test::seed_lab();
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", "pcap-replay-cli.pcap"));
  REQUIRE(lab->ping("pc1", *parse_ipv4("10.2.1.2"), 2).received >= 1);
  REQUIRE(lab->capture("fw1:GigabitEthernet0/0/1", ""));

  // FW1 of the lab, its tunnel up: a replay must not touch its sessions nor send anything.
  Device& fw1 = *lab->device("fw1");
  const uint64_t forwarded = fw1.runtime().forwarded;
  const size_t sessions = fw1.runtime().sessions.size();
  LineRunner run(fw1);
  // As typed, abbreviated, from user view and from system view.
  for (const char* line : {"packet-trace replay pcap-replay-cli.pcap input-interface g0/0/1",
                           "system-view", "packet-trace repl pcap-replay-cli.pcap json"}) {
    const LineOutput out = run.run(line, 0);
    INFO(line << "\n" << out.out << out.err);
    REQUIRE(out.ok);
    if (std::string(line) == "system-view") continue;
    if (std::string(line).find("json") == std::string::npos) {
      CHECK(out.out.find("Replayed ") != std::string::npos);
      CHECK(out.out.find(", input GigabitEthernet0/0/1") != std::string::npos);
    } else {
      CHECK(out.out.find("{\"version\":2,\"device\":\"FW1\"") != std::string::npos);
    }
  }
  CHECK(fw1.runtime().forwarded == forwarded);
  CHECK(fw1.runtime().sessions.size() == sessions);

  // A file that is not there: the device's error, nothing traced.
  const LineOutput missing = run.run("packet-trace replay no-such.pcap", 0);
  CHECK_FALSE(missing.ok);
  CHECK(missing.err.find("Error: ") != std::string::npos);
  CHECK(missing.err.find("no-such.pcap") != std::string::npos);
}
