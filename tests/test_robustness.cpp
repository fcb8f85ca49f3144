// Bad input never crashes vfw: mutated packets (ESP included) go through the pipeline and
// random lines through the configuration loader; every packet ends with an action, every drop has
// a reason, every bad line an error. Run under AddressSanitizer and UBSan in CI.
#include <catch2/catch.hpp>
#include <random>

#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

TEST_CASE("mutated packets are forwarded or dropped with a reason, never crash", "[robustness]") {
  Device fw1(load_example("ipsec-manual-fw1.cfg"));
  Device fw3(load_example("ipsec-manual-fw3.cfg"));
  std::mt19937 rng(2026);
  std::vector<std::vector<uint8_t>> seeds = {build_packet(icmp("10.1.1.2", "10.2.1.2")),
                                             build_packet(tcp("10.1.1.2", 40000, "8.8.8.8", 443)),
                                             build_packet(udp("10.1.1.2", 5000, "10.2.1.2", 53)),
                                             build_packet(udp("2.1.1.1", 4500, "1.1.1.1", 4500))};
  {
    auto esp = build_packet(icmp("10.1.1.2", "10.2.1.2"));
    fw1.receive(esp, "GigabitEthernet0/0/1");  // now an ESP packet to FW3
    seeds.push_back(esp);
  }
  for (int i = 0; i < 20000; ++i) {
    auto p = seeds[static_cast<size_t>(rng() % seeds.size())];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) p[rng() % p.size()] ^= static_cast<uint8_t>(1U << (rng() % 8));
    if (rng() % 5 == 0) p.resize(rng() % (p.size() + 1));  // truncations too
    if (rng() % 3 == 0) {  // a valid header checksum, so that the mutation reaches deeper stages
      if (p.size() >= 20) {
        store16(&p[10], 0);
        store16(&p[10], internet_checksum({p.data(), 20}));
      }
    }
    Device& d = i % 2 == 0 ? fw3 : fw1;
    Sent s = send_bytes(d, p, i % 4 < 2 ? "GigabitEthernet0/0/2" : "GigabitEthernet0/0/1");
    if (s.action == Action::Drop) REQUIRE(s.drop() != DropReason::None);
  }
}

TEST_CASE("random configuration lines are refused or accepted, never crash", "[robustness]") {
  const std::vector<std::string> words = {"interface",
                                          "GigabitEthernet0/0/1",
                                          "ip",
                                          "address",
                                          "10.1.1.1",
                                          "24",
                                          "255.255.255.0",
                                          "rule",
                                          "name",
                                          "r1",
                                          "action",
                                          "permit",
                                          "undo",
                                          "security-policy",
                                          "nat-policy",
                                          "source-zone",
                                          "trust",
                                          "ipsec",
                                          "policy",
                                          "map1",
                                          "10",
                                          "manual",
                                          "sa",
                                          "spi",
                                          "inbound",
                                          "esp",
                                          "acl",
                                          "3000",
                                          "route-static",
                                          "0.0.0.0",
                                          "0",
                                          "NULL0",
                                          "#",
                                          "quit",
                                          "display",
                                          "this",
                                          "?",
                                          "|",
                                          "include",
                                          "x",
                                          "\"",
                                          "999999999999"};
  std::mt19937 rng(7);
  for (int i = 0; i < 300; ++i) {
    std::string text;
    for (int line = 0; line < 20; ++line) {
      if (rng() % 3 == 0) text += " ";
      const int n = 1 + static_cast<int>(rng() % 6);
      for (int w = 0; w < n; ++w) text += words[rng() % words.size()] + " ";
      text += "\n";
    }
    cli::LoadResult r = cli::load_config_text(text, "random.cfg");
    for (const auto& e : r.errors) CHECK_FALSE(e.message.empty());
    if (r.ok()) Device d(r.config);  // a configuration that loads also compiles
  }
}
