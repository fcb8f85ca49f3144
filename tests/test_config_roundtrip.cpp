#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "cli/config_loader.hpp"
#include "config/render.hpp"
#include "config/secret.hpp"

using namespace vfw;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("display current-configuration loads back to the same text", "[config]") {
  for (const char* name :
       {"examples/fw1.cfg", "examples/fw1-misordered-nat.cfg", "examples/nat-lab.cfg"}) {
    INFO(name);
    cli::LoadResult first = cli::load_config_file(std::string(VFW_SOURCE_DIR) + "/" + name);
    for (const auto& e : first.errors) INFO(e.format());
    REQUIRE(first.ok());
    const std::string shown = config::render_current_configuration(first.config);
    cli::LoadResult second = cli::load_config_text(shown, "shown.cfg");
    REQUIRE(second.ok());
    CHECK(config::render_current_configuration(second.config) == shown);
  }
}

TEST_CASE("the seed FW1 example is printed exactly as written, its key in the cipher form",
          "[config]") {
  const std::string path = std::string(VFW_SOURCE_DIR) + "/examples/fw1.cfg";
  cli::LoadResult r = cli::load_config_file(path);
  REQUIRE(r.ok());
  std::string expected = read_file(path);
  const std::string clear = " pre-shared-key Seed@2026\n";
  REQUIRE(expected.find(clear) != std::string::npos);
  expected.replace(expected.find(clear), clear.size(),
                   " pre-shared-key " + config::seal_secret("Seed@2026") + "\n");
  CHECK(config::render_current_configuration(r.config) == expected);
}

TEST_CASE("typed forms are normalised: masks dotted, interface names full", "[config]") {
  const std::string typed =
      "interface g 0/0/3\n ip a 172.16.0.1 16\n#\nfirewall zone name partners id 4\n set priority "
      "60\n add interface g0/0/3\n#\n"
      "ip route-static 172.20.0.0 16 172.16.0.254 preference 70\n"
      "ip route-static 192.0.2.0 24 NULL0\n"
      "#\nsecurity-policy\n rule name p\n  source-zone partners\n  destination-zone untrust\n"
      "  source-address 172.16.1.1 32\n  source-address range 172.16.2.1 172.16.2.9\n  service "
      "http https\n  action permit\n#\nreturn\n";
  cli::LoadResult r = cli::load_config_text(typed, "typed.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.ok());
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("interface GigabitEthernet0/0/3\n ip address 172.16.0.1 255.255.0.0\n#\n") !=
        std::string::npos);
  CHECK(shown.find("firewall zone name partners id 4\n set priority 60\n add interface "
                   "GigabitEthernet0/0/3\n") != std::string::npos);
  CHECK(shown.find("ip route-static 172.20.0.0 255.255.0.0 172.16.0.254 preference 70\n") !=
        std::string::npos);
  CHECK(shown.find("ip route-static 192.0.2.0 255.255.255.0 NULL0\n") != std::string::npos);
  CHECK(shown.find("  source-address 172.16.1.1 mask 255.255.255.255\n") != std::string::npos);
  CHECK(shown.find("  source-address range 172.16.2.1 172.16.2.9\n") != std::string::npos);
  CHECK(shown.find("  service http\n  service https\n") != std::string::npos);
  CHECK(shown.substr(shown.size() - 7) == "return\n");
}

TEST_CASE("V500R005's lines that once were refused load and print back as written", "[config]") {
  // From a USG6300 V500 configuration with IPSec and nat server: the peer's address on the
  // remote-id-type line, sftp server enable, and undo rbl-filter enable in a profile.
  const std::string text =
      "#\nsftp server enable\n#\nike peer fw3\n pre-shared-key Test@123\n remote-id-type ip "
      "2.1.1.1\n remote-address 2.1.1.1\n#\nprofile type mail-filter name mf1\n undo rbl-filter "
      "enable\n#\nreturn\n";
  cli::LoadResult r = cli::load_config_text(text, "v500.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.ok());
  const config::IkePeer& p = r.config.ike_peers.at(0);
  CHECK(p.remote_id_type == config::IdType::Ip);
  CHECK(p.remote_id == "2.1.1.1");
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find(" remote-id-type ip 2.1.1.1\n") != std::string::npos);
  CHECK(shown.find("sftp server enable\n") != std::string::npos);
  CHECK(shown.find(" undo rbl-filter enable\n") != std::string::npos);
}
