// tshark (Wireshark) decrypts vfw's ESP with the SA's keys and shows the inner packet: plain ESP,
// AES-GCM, and UDP-encapsulated ESP. Tagged [tshark]: run as an integration test (needs tshark).
#include <catch2/catch.hpp>
#include <cstdio>
#include <sstream>

#include "device/packet_trace.hpp"
#include "lab.hpp"

using namespace vfw;
using namespace vfw::test;

namespace {

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  REQUIRE(p != nullptr);
  char buffer[4096];
  while (size_t n = fread(buffer, 1, sizeof buffer, p)) out.append(buffer, n);
  pclose(p);
  return out;
}

// tshark's esp_sa table entry for an outbound SA of the device.
std::string esp_sa_option(const ipsec::Sa& sa) {
  return "-o 'uat:esp_sa:" + ipsec::wireshark_esp_sa(sa) + "'";
}

std::string capture_and_decode(Device& fw1, const std::string& name) {
  const std::string pcap = "/tmp/vfw-tshark-" + name + ".pcap";
  PacketTraceOptions o;
  o.input = "GigabitEthernet0/0/1";
  o.protocol = "icmp";
  o.source = "10.1.1.2";
  o.destination = "10.2.1.2";
  o.pcap = pcap;
  std::ostringstream out;
  REQUIRE(run_packet_trace(fw1, o, out));
  const ipsec::Sa* sa = fw1.runtime().sad.outbound("map1", 10);
  REQUIRE(sa != nullptr);
  const std::string decoded =
      run("tshark -r " + pcap + " -o esp.enable_encryption_decode:TRUE " +
          "-o esp.enable_authentication_check:TRUE " + esp_sa_option(*sa) + " -V 2>/dev/null");
  std::remove(pcap.c_str());
  return decoded;
}

}  // namespace

TEST_CASE("tshark decrypts vfw's ESP and shows the inner packet", "[tshark]") {
  REQUIRE(run("command -v tshark") != "");
  Device fw1(load_example("ipsec-manual-fw1.cfg"));
  const std::string decoded = capture_and_decode(fw1, "cbc");
  CHECK(decoded.find("Encapsulating Security Payload") != std::string::npos);
  CHECK(decoded.find("<HMAC-SHA-256-128 [RFC4868]> [correct]") != std::string::npos);
  CHECK(decoded.find("Internet Protocol Version 4, Src: 10.1.1.2, Dst: 10.2.1.2") !=
        std::string::npos);
  CHECK(decoded.find("Type: 8 (Echo (ping) request)") != std::string::npos);
}

TEST_CASE("tshark decrypts vfw's AES-GCM ESP and UDP-encapsulated ESP", "[tshark]") {
  Device fw1(load_example("ipsec-manual-fw1.cfg"));
  fw1.edit().ipsec_proposals[0].esp_encryption = "aes-gcm-128";
  for (auto* k : {&fw1.edit().ipsec_policies[0].esp_in, &fw1.edit().ipsec_policies[0].esp_out}) {
    k->encryption_hex = std::string(40, '7');  // 16-byte key and 4-byte salt
  }
  fw1.apply();
  REQUIRE(fw1.sa_errors().empty());
  fw1.runtime().sad.outbound("map1", 10)->udp_encapsulation = true;
  const std::string decoded = capture_and_decode(fw1, "gcm-natt");
  CHECK(decoded.find("User Datagram Protocol, Src Port: 4500, Dst Port: 4500") !=
        std::string::npos);
  CHECK(decoded.find("Encapsulating Security Payload") != std::string::npos);
  CHECK(decoded.find("Internet Protocol Version 4, Src: 10.1.1.2, Dst: 10.2.1.2") !=
        std::string::npos);
  CHECK(decoded.find("Type: 8 (Echo (ping) request)") != std::string::npos);
}
