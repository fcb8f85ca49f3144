// Real configurations, published openly and saved by real devices (tests/data/real-configs, with
// their sources in its README): each loads with no error and prints back line for line, and
// loading a file never runs an operational command.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "cli/config_loader.hpp"
#include "config/render.hpp"
#include "device/device.hpp"

using namespace vfw;

namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string trim(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return "";
  const size_t b = s.find_last_not_of(" \t\r\0", std::string_view::npos, 4);
  return std::string(s.substr(a, b - a + 1));
}

// The lines of a configuration as a multiset, without the separators and comments the device
// writes itself (`#`, `!Software Version ...`, `return`) and without indentation, which the
// device normalises.
std::map<std::string, int> content_lines(const std::string& text) {
  std::map<std::string, int> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::string t = trim(line);
    if (t.empty() || t[0] == '#' || t[0] == '!' || t == "return" || t == std::string(1, '\0'))
      continue;
    ++out[t];
  }
  return out;
}

}  // namespace

TEST_CASE("every real configuration in the corpus loads and prints back line for line",
          "[config][real]") {
  const std::filesystem::path dir =
      std::filesystem::path(VFW_SOURCE_DIR) / "tests/data/real-configs";
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".cfg") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 10);
  for (const auto& path : files) {
    INFO(path.filename().string());
    const std::string text = read_file(path);
    cli::LoadResult r = cli::load_config_text(text, path.filename().string());
    for (const auto& e : r.errors) INFO(e.format());
    REQUIRE(r.errors.empty());
    const std::string shown = config::render_current_configuration(r.config);

    // Every line of the device's file is in what vfw prints, as often as it was written.
    auto printed = content_lines(shown);
    for (const auto& [line, count] : content_lines(text)) {
      INFO(line);
      CHECK(printed[line] >= count);
    }
    // And what vfw prints loads back to the same text.
    cli::LoadResult again = cli::load_config_text(shown, "shown.cfg");
    for (const auto& e : again.errors) INFO(e.format());
    REQUIRE(again.errors.empty());
    CHECK(config::render_current_configuration(again.config) == shown);
    Device d(r.config);  // and it compiles into a running device
    CHECK(d.snapshot().interfaces.size() == r.config.interfaces.size());
  }
}

TEST_CASE("loading a file never runs an operational command nor writes a file", "[config]") {
  // A bare `sa` in a block vfw does not emulate, `save` and `display` lines: none runs.
  char dir[] = "/tmp/vfw-load-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  const std::string cwd = std::filesystem::current_path();
  REQUIRE(chdir(dir) == 0);
  const std::string text =
      "#\npki realm x\n sa\n sa x\n#\nsave\nsave y\ndisplay current-configuration\n"
      "packet-trace input-interface GigabitEthernet0/0/0 protocol icmp source 1.1.1.1 "
      "destination 2.2.2.2\n#\nreturn\n";
  cli::LoadResult r = cli::load_config_text(text, "ops.cfg");
  const bool empty = std::filesystem::is_empty(dir);
  REQUIRE(chdir(cwd.c_str()) == 0);
  std::filesystem::remove_all(dir);
  CHECK(empty);
  // The lines of the pki realm block are the block's; the operational commands are refused with
  // the line they are on.
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("pki realm x\n sa\n sa x\n") != std::string::npos);
  REQUIRE(r.errors.size() == 4);
  CHECK(r.errors[0].line == 6);
  CHECK(r.errors[0].message ==
        "Error: This command acts on the running device; a configuration file cannot run it.");
}

TEST_CASE("a line under an object belongs to it: no parent-view command by abbreviation",
          "[config]") {
  cli::LoadResult r = cli::load_config_text(
      "#\ninterface GigabitEthernet1/0/1\n ip address dhcp-alloc\n port link-type trunk\n"
      " foo bar\n#\n l2tp domain suffix-separator @\n#\nsecurity-policy\n rule name p1\n"
      "  traffic logging enable\n  action permit\n#\nreturn\n",
      "under.cfg");
  REQUIRE(r.errors.empty());
  CHECK(r.config.address_sets.empty());  // `ip address dhcp-alloc` is not `ip address-set`
  const auto& ifc = r.config.interfaces.at("GigabitEthernet1/0/1");
  CHECK(ifc.opaque ==
        std::vector<std::string>{" ip address dhcp-alloc", " port link-type trunk", " foo bar"});
  CHECK(r.config.security_policy.rules.at(0).opaque ==
        std::vector<std::string>{" traffic logging enable"});
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("\n l2tp domain suffix-separator @\n") != std::string::npos);
  // Each kept command is reported once.
  CHECK(std::count(r.notices.begin(), r.notices.end(),
                   "Info: \"l2tp\" is not emulated by vfw; the configuration is kept.") == 1);
}

TEST_CASE("an unknown top-level command and its indented block are kept whole", "[config]") {
  cli::LoadResult r = cli::load_config_text(
      "#\nsomething-new 7\n alpha\n  beta\n#\nsysname X\n#\nreturn\n", "unknown.cfg");
  REQUIRE(r.errors.empty());
  REQUIRE(r.config.opaque.size() == 1);
  CHECK(r.config.opaque[0].lines ==
        std::vector<std::string>{"something-new 7", " alpha", "  beta"});
  CHECK(r.config.sysname == "X");
}

TEST_CASE("a wrong parameter of an emulated command still refuses the file", "[config]") {
  cli::LoadResult r = cli::load_config_text(
      "#\ninterface GigabitEthernet1/0/1\n ip address 10.1.1.300 24\n#\nreturn\n", "bad.cfg");
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].line == 3);
}

TEST_CASE("interface kinds of real devices load and can be used", "[config]") {
  cli::LoadResult r = cli::load_config_text(
      "#\ninterface GigabitEthernet1/0/0.10\n vlan-type dot1q 10\n ip address 10.10.0.1 24\n#\n"
      "interface Eth-Trunk1\n ip address 10.20.0.1 24\n#\ninterface GigabitEthernet1/0/3\n"
      " eth-trunk 1\n#\ninterface LoopBack0\n ip address 1.1.1.1 32\n#\ninterface Tunnel0\n#\n"
      "interface Virtual-if0\n#\ninterface Virtual-Template0\n#\ninterface NULL0\n#\n"
      "firewall zone trust\n add interface GigabitEthernet1/0/0.10\n add interface Eth-Trunk1\n"
      " add interface Virtual-Template0\n#\n"
      "ip route-static 10.30.0.0 24 Eth-Trunk1 10.20.0.2\nip route-static 10.40.0.0 24 NULL0\n"
      "#\nreturn\n",
      "kinds.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.errors.empty());
  CHECK(r.config.interfaces.at("GigabitEthernet1/0/0.10").dot1q == 10);
  CHECK(r.config.interfaces.at("GigabitEthernet1/0/3").trunk == 1);
  Device d(r.config);
  // The member port receives for its trunk.
  CHECK(d.snapshot().interface_index("GigabitEthernet1/0/3") ==
        d.snapshot().interface_index("Eth-Trunk1"));
  const std::string shown = config::render_current_configuration(r.config);
  CHECK(shown.find("interface GigabitEthernet1/0/0.10\n vlan-type dot1q 10\n") !=
        std::string::npos);
  CHECK(shown.find(" eth-trunk 1\n") != std::string::npos);
  // Numbers out of the device's ranges are refused when parsed.
  CHECK_FALSE(
      cli::load_config_text("interface GigabitEthernet0/0/99999999999999999999\n", "x").ok());
  CHECK_FALSE(cli::load_config_text("interface GigabitEthernet0/0/1.4095\n", "x").ok());
  CHECK_FALSE(cli::load_config_text("interface LoopBack0.1\n", "x").ok());
}

TEST_CASE("address-set groups, port names and the IPSec forms of real devices", "[config]") {
  cli::LoadResult r = cli::load_config_text(
      "#\nip address-set web type object 3\n address 0 10.3.1.0 mask 24\n#\n"
      "ip address-set all type group\n address 0 address-set web\n address 1 10.9.0.0 mask 16\n#\n"
      "ip service-set auth type object 16\n service 0 protocol tcp destination-port 8443\n#\n"
      "acl number 3001\n rule 5 permit tcp destination-port eq www\n"
      " rule 10 permit udp destination-port eq 53\n#\n"
      "ipsec proposal p1\n encapsulation-mode auto\n#\n"
      "ipsec policy-template tpl 1\n proposal p1\n#\n"
      "ipsec policy map 10 isakmp template tpl\n#\n"
      "ipsec policy map2 1 isakmp\n local-address applied-interface\n"
      " sa duration traffic-based 200000000\n#\n"
      "interface GigabitEthernet1/0/0\n ip address 1.1.1.1 24\n ipsec policy map2 auto-neg\n#\n"
      "nat server web protocol tcp global 1.1.1.10 www inside 10.3.1.20 8080 no-reverse "
      "unr-route\n#\nsecurity-policy\n rule name \"from web\"\n  source-address address-set all\n"
      "  service auth\n  action permit\n#\nreturn\n",
      "forms.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.errors.empty());
  CHECK(r.config.nat_servers.at(0).global_port == 80);
  CHECK(r.config.acls.at(3001).rules.at(1).dst_port == std::pair<uint16_t, uint16_t>{53, 53});
  const std::string shown = config::render_current_configuration(r.config);
  for (const char* line :
       {"ip address-set all type group\n address 0 address-set web\n",
        "ip service-set auth type object 16\n", " rule 5 permit tcp destination-port eq www\n",
        " rule 10 permit udp destination-port eq dns\n", " encapsulation-mode auto\n",
        "ipsec policy-template tpl 1\n", "ipsec policy map 10 isakmp template tpl\n",
        " local-address applied-interface\n", " sa duration traffic-based 200000000\n",
        " ipsec policy map2 auto-neg\n",
        "nat server web protocol tcp global 1.1.1.10 www inside 10.3.1.20 8080 no-reverse "
        "unr-route\n",
        " rule name \"from web\"\n"}) {
    INFO(line);
    CHECK(shown.find(line) != std::string::npos);
  }
  // A group may not contain itself through another set, and a port name must fit the protocol.
  CHECK_FALSE(
      cli::load_config_text("ip address-set a type group\n address 0 address-set a\n", "x").ok());
  CHECK_FALSE(
      cli::load_config_text("acl number 3000\n rule permit udp destination-port eq www\n", "x")
          .ok());
}
