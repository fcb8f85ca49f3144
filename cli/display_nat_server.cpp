// display nat server: the device's nat servers, one block each, in the field labels of the USG
// V500 (docs/research/daily-displays.txt 8b: the labels are those a published parser of the
// USG's output reads; no full capture of the USG's alignment was found, so each field is a line
// of "label : value", "---" where unset, as that parser expects).
#include "cli/display_formats.hpp"
#include "config/services.hpp"

namespace vfw::cli {
namespace {

std::string port_text(const std::optional<uint16_t>& port) {
  return port ? std::to_string(*port) : "---";
}

std::string field(const char* label, const std::string& value) {
  return format("  %-18s: %s\n", label, value.c_str());
}

}  // namespace

std::string display_nat_server(const Device& d) {
  const auto& servers = d.config().nat_servers;
  std::string o = "Server in private network information:\n";
  for (const auto& s : servers) {
    o += field("server name", s.name);
    o += field("id", std::to_string(s.id));
    o += field("zone", "---");
    o += field("global-start-addr", to_string(s.global));
    o += field("global-end-addr", "---");
    o += field("inside-start-addr", to_string(s.inside));
    o += field("inside-end-addr", "---");
    o += field("global-start-port", port_text(s.global_port));
    o += field("global-end-port", "---");
    o += field("inside-start-port", port_text(s.inside_port));
    o += field("inside-end-port", "---");
    o += field("globalvpn", "public");
    o += field("insidevpn", "public");
    o += field("vsys", "public");
    o += field("protocol", s.protocol == 0 ? "---" : config::protocol_name(s.protocol));
    o += field("vrrp", "---");
    o += field("no-reverse", s.no_reverse ? "yes" : "no");
    o += field("nat-disable", "no");
    o += field("route", s.unr_route ? "unr-route" : "---");
    o += field("description", "---");
    o += "\n";
  }
  o += "  Total :    " + std::to_string(servers.size()) + "\n";
  return o;
}

}  // namespace vfw::cli
