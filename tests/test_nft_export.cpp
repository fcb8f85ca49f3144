// The configuration as an nftables ruleset (nft/export.hpp, nft/text.hpp): what each USG construct
// becomes, in the text nft prints. That the kernel takes the same ruleset from libnftnl and prints
// it back identically is tests/integration/nft_test.sh's.
#include <catch2/catch.hpp>

#include "cli/config_loader.hpp"
#include "nft/export.hpp"
#include "nft/text.hpp"

using namespace vfw;

namespace {

nft::Ruleset exported(const std::string& text) {
  const auto r = cli::load_config_text(text, "nft.cfg");
  for (const auto& e : r.errors) INFO(e.format());
  REQUIRE(r.errors.empty());
  nft::ExportOptions o;
  o.linux_names["GigabitEthernet0/0/1"] = "lan";
  o.linux_names["GigabitEthernet0/0/2"] = "wan";
  return nft::export_ruleset(r.config, o);
}

bool has(const std::string& text, const std::string& part) {
  INFO(text);
  return text.find(part) != std::string::npos;
}

const std::string kConfig =
    "#\nsysname FW\n#\ninterface GigabitEthernet0/0/1\n ip address 10.1.1.1 255.255.255.0\n"
    " service-manage ping permit\n#\ninterface GigabitEthernet0/0/2\n"
    " ip address 1.1.1.1 255.255.255.0\n#\ninterface GigabitEthernet0/0/3\n"
    " ip address 10.3.1.1 255.255.255.0\n undo service-manage enable\n#\n"
    "firewall zone trust\n add interface GigabitEthernet0/0/1\n#\n"
    "firewall zone untrust\n add interface GigabitEthernet0/0/2\n#\n"
    "firewall zone dmz\n add interface GigabitEthernet0/0/3\n#\n"
    "ip address-set lan type object\n address 0 10.1.1.0 mask 24\n address 1 10.1.2.0 mask 24\n"
    " address 2 10.1.9.5 mask 32\n#\n"
    "ip service-set web type object\n service 0 protocol tcp destination-port 80\n"
    " service 1 protocol tcp destination-port 8000 to 8080\n#\n"
    "ip route-static 0.0.0.0 0.0.0.0 1.1.1.254\n#\n"
    " nat server www protocol tcp global 1.1.1.10 80 inside 10.3.1.10 8080\n"
    " nat server mail global 1.1.1.11 inside 10.3.1.11 no-reverse\n#\n"
    "nat address-group pool 0\n section 0 1.1.1.20 1.1.1.29\n#\n"
    "security-policy\n rule name out\n  source-zone trust\n  destination-zone untrust\n"
    "  source-address address-set lan\n  service web\n  service icmp\n  action permit\n"
    " rule name in_www\n  source-zone untrust\n  destination-zone dmz\n"
    "  destination-address 10.3.1.10 mask 255.255.255.255\n  action permit\n"
    " rule name to_fw\n  source-zone trust\n  destination-zone local\n  action permit\n"
    " rule name off\n  disable\n  action permit\n#\n"
    "nat-policy\n rule name keep\n  source-zone trust\n  destination-address 10.8.0.0 mask 16\n"
    "  action no-nat\n rule name pool\n  source-zone trust\n  source-address 10.1.2.0 mask 24\n"
    "  action source-nat address-group pool\n rule name easy\n  source-zone trust\n"
    "  egress-interface GigabitEthernet0/0/2\n  action source-nat easy-ip\n#\nreturn\n";

}  // namespace

TEST_CASE("zones become interface sets and address sets merged interval sets", "[nft]") {
  const auto rs = exported(kConfig);
  const std::string t = nft::table_text(rs);
  // GigabitEthernet0/0/0 is in trust from the factory, as on the device.
  CHECK(has(t,
            "\tset zone_trust {\n\t\ttype ifname\n\t\telements = { \"ge0-0-0\",\n\t\t\t     "
            "\"lan\" }\n\t}\n"));
  CHECK(has(t, "\tset zone_untrust {\n\t\ttype ifname\n\t\telements = { \"wan\" }\n\t}\n"));
  // Unnamed interfaces get a short Linux-legal name.
  CHECK(has(t, "\tset zone_dmz {\n\t\ttype ifname\n\t\telements = { \"ge0-0-3\" }\n\t}\n"));
  // 10.1.1.0/24 and 10.1.2.0/24 are adjacent: one interval, as the kernel keeps it.
  CHECK(has(t,
            "\tset addr_lan {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
            "\t\telements = { 10.1.1.0-10.1.2.255, 10.1.9.5 }\n\t}\n"));
}

TEST_CASE(
    "the security policy: forward, input and output by zone, first match, services "
    "expanded, the default action as the policy",
    "[nft]") {
  const std::string t = nft::table_text(exported(kConfig));
  CHECK(has(t,
            "\tchain forward {\n\t\ttype filter hook forward priority filter; policy drop;\n"
            "\t\tct state established,related accept\n"));
  // The service set's TCP and UDP ports as one nftables set of (protocol . port) intervals; the
  // predefined icmp a match of its own; each nft rule naming the USG rule.
  CHECK(has(t,
            "\tset svc_web {\n\t\ttype inet_proto . inet_service\n\t\tflags interval\n"
            "\t\telements = { tcp . 80,\n\t\t\t     tcp . 8000-8080 }\n\t}\n"));
  CHECK(has(t,
            "\t\tiifname @zone_trust oifname @zone_untrust ip saddr @addr_lan meta l4proto . th "
            "dport @svc_web accept comment \"rule out\"\n"
            "\t\tiifname @zone_trust oifname @zone_untrust ip saddr @addr_lan ip protocol " +
                nft::protocol_text(1) + " accept comment \"rule out\"\n"));
  // After DNAT, as on the device: the policy sees the inside address.
  CHECK(has(t,
            "\t\tiifname @zone_untrust oifname @zone_dmz ip daddr 10.3.1.10 accept comment "
            "\"rule in_www\"\n"));
  // To the local zone: the input chain, after service-manage.
  CHECK(has(t,
            "\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n"
            "\t\tct state established,related accept\n"));
  CHECK(has(t,
            "\t\tiifname \"lan\" icmp type echo-request accept comment \"service-manage ping "
            "permit on GigabitEthernet0/0/1\"\n"));
  CHECK(has(t,
            "\t\tiifname \"lan\" tcp dport 22 drop comment \"service-manage ssh (not "
            "permitted) on GigabitEthernet0/0/1\"\n"));
  CHECK_FALSE(has(t, "iifname \"ge0-0-3\" tcp dport"));  // undo service-manage enable
  CHECK(has(t, "\t\tiifname @zone_trust accept comment \"rule to_fw\"\n"));
  CHECK_FALSE(has(t, "rule off"));
}

TEST_CASE("NAT: nat server both ways, nat-policy no-nat, pool and easy-ip in order", "[nft]") {
  const auto rs = exported(kConfig);
  const std::string t = nft::table_text(rs);
  CHECK(has(t,
            "\tchain prerouting {\n\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
            "\t\tip daddr 1.1.1.10 tcp dport 80 dnat to 10.3.1.10:8080 comment \"nat server "
            "www\"\n\t\tip daddr 1.1.1.11 dnat to 10.3.1.11 comment \"nat server mail\"\n"));
  CHECK(has(t,
            "\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy "
            "accept;\n"
            "\t\tip saddr 10.3.1.10 tcp sport 8080 snat to 1.1.1.10:80 comment \"nat server "
            "www (reverse)\"\n"
            "\t\tiifname @zone_trust ip daddr 10.8.0.0/16 accept comment \"nat-policy rule "
            "keep\"\n"
            "\t\tiifname @zone_trust ip saddr 10.1.2.0/24 snat to 1.1.1.20-1.1.1.29 comment "
            "\"nat-policy rule pool\"\n"
            "\t\tiifname @zone_trust oifname \"wan\" masquerade comment \"nat-policy rule "
            "easy\"\n\t}\n"));
  CHECK_FALSE(has(t, "nat server mail (reverse)"));  // no-reverse
  REQUIRE(rs.routes.size() == 1);
  CHECK(rs.routes[0] == "ip route add 0.0.0.0/0 via 1.1.1.254");
  CHECK(std::find(rs.not_expressed.begin(), rs.not_expressed.end(),
                  "security-policy rule off: disabled: not exported") != rs.not_expressed.end());
}

TEST_CASE("what nftables cannot do the device's way is listed, never dropped silently", "[nft]") {
  const auto r = cli::load_config_file(std::string(VFW_SOURCE_DIR) + "/examples/fw1.cfg");
  REQUIRE(r.errors.empty());
  const auto rs = nft::export_ruleset(r.config, {});
  bool ipsec = false;
  for (const auto& n : rs.not_expressed)
    ipsec = ipsec || n.find("ipsec policy map1") != std::string::npos;
  CHECK(ipsec);
}

TEST_CASE("addresses print as nft prints them, intervals merge as the kernel keeps them", "[nft]") {
  const auto ip = [](const char* t) { return *parse_ipv4(t); };
  CHECK(nft::range_text({ip("10.1.1.1"), ip("10.1.1.1")}) == "10.1.1.1");
  CHECK(nft::range_text({ip("10.1.1.0"), ip("10.1.1.127")}) == "10.1.1.0/25");
  CHECK(nft::range_text({ip("10.1.1.1"), ip("10.1.1.9")}) == "10.1.1.1-10.1.1.9");
  CHECK(nft::range_text({ip("0.0.0.0"), ip("255.255.255.255")}) == "0.0.0.0/0");
  const auto m = nft::merged({{ip("10.0.0.5"), ip("10.0.0.9")},
                              {ip("10.0.0.1"), ip("10.0.0.4")},
                              {ip("10.0.0.8"), ip("10.0.0.20")},
                              {ip("10.0.1.0"), ip("10.0.1.0")}});
  REQUIRE(m.size() == 2);
  CHECK(nft::range_text(m[0]) == "10.0.0.1-10.0.0.20");
  CHECK(nft::range_text(m[1]) == "10.0.1.0");
  CHECK(nft::default_linux_name("GigabitEthernet0/0/1") == "ge0-0-1");
  CHECK(nft::default_linux_name("GigabitEthernet0/0/1.100") == "ge0-0-1-100");
  CHECK(nft::default_linux_name("Virtual-Template0") == "vt0");
}

TEST_CASE("destination NAT to a port: the port for TCP and UDP, the address alone for the rest",
          "[nft]") {
  // Found by the differential test: `dnat to A:P` on an ICMP echo makes the kernel map P onto the
  // echo's identifier; the device translates an ICMP packet's address and leaves it its id.
  const std::string config =
      "#\ninterface GigabitEthernet0/0/1\n ip address 10.1.1.1 255.255.255.0\n#\n"
      "firewall zone trust\n add interface GigabitEthernet0/0/1\n#\n"
      "ip service-set mixed type object\n service 0 protocol tcp destination-port 80\n"
      " service 1 protocol icmp\n#\n"
      "nat-policy\n rule name any_service\n  destination-address 192.0.2.106 mask 32\n"
      "  action destination-nat static address-to-address address 10.10.3.30 8080\n"
      " rule name mixed\n  destination-address 192.0.2.107 mask 32\n  service mixed\n"
      "  action destination-nat static address-to-address address 10.10.3.31 8080\n#\nreturn\n";
  const std::string t = nft::table_text(exported(config));
  CHECK(has(t,
            "\t\tip daddr 192.0.2.106 ip protocol tcp dnat to 10.10.3.30:8080 comment "
            "\"nat-policy rule any_service\"\n"
            "\t\tip daddr 192.0.2.106 ip protocol udp dnat to 10.10.3.30:8080 comment "
            "\"nat-policy rule any_service\"\n"
            "\t\tip daddr 192.0.2.106 dnat to 10.10.3.30 comment \"nat-policy rule "
            "any_service\"\n"
            "\t\tip daddr 192.0.2.107 meta l4proto . th dport @svc_mixed dnat to "
            "10.10.3.31:8080 comment \"nat-policy rule mixed\"\n"
            "\t\tip daddr 192.0.2.107 ip protocol icmp dnat to 10.10.3.31 comment "
            "\"nat-policy rule mixed\"\n"));
}

TEST_CASE("a service set's intervals merge per protocol, as the kernel must hold them", "[nft]") {
  // The kernel refuses overlapping intervals in a set of concatenations.
  const auto m = nft::merged(std::vector<nft::ServiceRange>{
      {17, 53, 53}, {6, 8000, 8080}, {6, 80, 80}, {6, 8050, 9000}, {6, 81, 81}, {17, 54, 60}});
  REQUIRE(m.size() == 3);
  CHECK(m[0] == nft::ServiceRange{6, 80, 81});
  CHECK(m[1] == nft::ServiceRange{6, 8000, 9000});
  CHECK(m[2] == nft::ServiceRange{17, 53, 60});
}
