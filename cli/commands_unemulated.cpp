// Commands a real USG configuration carries that vfw accepts without emulating them.
//
// A saved configuration of a real device has aaa, hrp, snmp-agent, info-center, user-interface and
// many more lines. They are accepted, kept verbatim (with the indented lines under them) and
// printed again by display current-configuration, and each is reported once as not emulated.
// Anything not listed here is still an error: vfw does not swallow typing mistakes.
#include <array>
#include <cctype>
#include <string_view>

#include "cli/command_helpers.hpp"

namespace vfw::cli {
namespace {

// Top-level commands that open a view of their own on the device.
constexpr std::array kBlockCommands = {
    "user-interface",
    "bgp",
    "ospf",
    "rip",
    "isis",
    "ip vpn-instance",
    "pki entity",
    "pki realm",
    "radius-server template",
    "hwtacacs-server template",
    "l2tp-group",
    "profile",
    "vlan",
    "policy-based-route",
    "dhcp server ip-pool",
    "api",
    "sslvpn",
    "health-check",
    "ip-link",
    "bfd",
    "nqa",
    "time-range",
    "ip pool",
    "firewall defend",

    "location",
};

// Single-line top-level commands.
constexpr std::array kLineCommands = {
    "info-center",
    "ntp-service",
    "stp",
    "ftp",
    "http",
    "web-manager",
    "update",
    "clock",
    "dns",
    "firewall detect",
    "firewall packet-filter",
    "firewall statistic",
    "firewall session",
    "firewall blacklist",
    "firewall mac-binding",
    "firewall ids",
    "ssh",
    "stelnet",
    "telnet",
    "sysname-ext",
    "license",
    "lldp",
    "hrp",
    "snmp-agent",
    "ike dpd",
    "ip ip-prefix",
    "ip community-filter",
    "set",
    "session",
    "domain",
    "engine",
    "ips",
    "av",
    "url-filter",
    "vrrp",
    "arp",
    "icmp",
    "ip df-unsupport",
    "ip fast-forwarding",
    "car",
    "anti-ddos",
    "dhcp",
    "ssl",
    "multi-interface",
    "portal",
    "interface virtual-if",
};

// Interface sub-commands a real configuration carries.
constexpr std::array kInterfaceCommands = {
    "vrrp",        "gateway",    "redirect-reverse",
    "alias",       "ipv6",       "dhcp",
    "arp",         "speed",      "duplex",
    "negotiation", "port",       "undo negotiation",
    "bandwidth",   "combo-port", "detect-mode",
    "ip binding",  "ip verify",  "undo ipv6",
    "link-detect", "statistic",  "ip address dhcp-alloc",
    "undo port",   "portswitch",
};

// Rule sub-commands (security-policy, nat-policy and traffic-policy) beyond the emulated match
// conditions.
constexpr std::array kRuleCommands = {
    // A service given inline (`service protocol tcp destination-port 80`) rather than by name.
    "service protocol", "profile", "application", "time-range",    "user",
    "long-link",        "session", "policy",      "source-mac",    "destination-mac",
    "parent-group",     "tag",     "category",    "source-region", "destination-region",
};

// The prompt the device shows in the view an unemulated block opens:
// "ike proposal 1" -> ike-proposal-1, "ipsec policy map1 10 isakmp" -> ipsec-policy-isakmp-map1-10,
// "user-interface vty 0 4" -> ui-vty0-4; otherwise the words joined by '-'.
std::string opaque_prompt(const std::string& line) {
  std::vector<std::string> w;
  for (const Token& t : tokenize(line)) w.emplace_back(t.text);
  if (!w.empty() && w[0] == "undo") return "";  // an undo line opens no view
  if (w.size() >= 5 && w[0] == "ipsec" && w[1] == "policy")
    return "ipsec-policy-" + w[4] + "-" + w[2] + "-" + w[3];
  if (w.size() >= 2 && w[0] == "user-interface") {
    std::string p = "ui-" + w[1];
    for (size_t i = 2; i < w.size(); ++i) p += (i == 2 ? "" : "-") + w[i];
    return p;
  }
  if (w.size() >= 3 && w[0] == "ip" && w[1] == "vpn-instance") return "vpn-instance-" + w[2];
  std::string p;
  for (const auto& word : w) p += (p.empty() ? "" : "-") + word;
  return p;
}

Handler opaque_block(bool enters_view) {
  return [enters_view](CommandContext& c, const Args& a) -> Result {
    // A file's line is kept exactly as written (its indentation included); a typed one is kept
    // with its keywords spelled out, indented as the device prints a global command.
    std::string line(trim_right(c.loading ? c.current_line : a.str("line")));
    if (!c.loading && !enters_view) line = " " + line;
    c.config().opaque.push_back(config::OpaqueBlock{{line}});
    c.note_unemulated(a.str("command"));
    if (enters_view) c.enter(View::Opaque, "", opaque_prompt(line));
    return kOk;
  };
}

// The whole line is kept: the pattern's keywords are re-read from the raw line by the loader, so
// here the handler gets the keyword path and the rest and joins them.
void add_opaque(CommandTree& t, const std::string& command, const Handler& handler) {
  t.add(
      command + " [ {text:rest} ]",
      [command, handler](CommandContext& c, const Args& a) -> Result {
        Args full;
        std::string line = command;
        if (!a.str("rest").empty()) line += " " + a.str("rest");
        full.add("line", line);
        full.add("command", command);
        return handler(c, full);
      },
      CommandKind::Unemulated);
}

template <typename Get>
Handler opaque_sub(Get get) {
  return [get](CommandContext& c, const Args& a) -> Result {
    get(c).push_back(" " + a.str("line"));
    c.note_unemulated(a.str("command"));
    return kOk;
  };
}

}  // namespace

std::vector<std::string>* unemulated_lines(CommandContext& c) {
  config::Config& cfg = c.config();
  const std::string& object = c.frame().object;
  switch (c.frame().view) {
    case View::Interface:
      return &cfg.interface(object).opaque;
    case View::Zone:
      return &cfg.find_zone(object)->opaque;
    case View::AclBasic:
    case View::AclAdvanced:
      return &cfg.acls[static_cast<uint32_t>(std::stoul(object))].opaque;
    case View::PolicySecurity:
      return &cfg.security_policy.opaque;
    case View::SecurityRule:
      return &cfg.security_policy.index.find(cfg.security_policy.rules, object)->opaque;
    case View::PolicyNat:
      return &cfg.nat_policy.opaque;
    case View::NatRule:
      return &cfg.nat_policy.index.find(cfg.nat_policy.rules, object)->opaque;
    case View::PolicyTraffic:
      return &cfg.traffic_policy.opaque;
    case View::TrafficProfile:
      return &find_named(cfg.traffic_policy.profiles, object)->opaque;
    case View::TrafficRule:
      return &cfg.traffic_policy.index.find(cfg.traffic_policy.rules, object)->opaque;
    case View::AddressSet:
      return &find_named(cfg.address_sets, object)->opaque;
    case View::ServiceSet:
      return &find_named(cfg.service_sets, object)->opaque;
    case View::AddressGroup:
      return &find_named(cfg.address_groups, object)->opaque;
    case View::IpsecProposal:
      return &find_named(cfg.ipsec_proposals, object)->opaque;
    case View::IpsecPolicy:
      return &edited_ipsec_policy(c)->opaque;
    case View::IkeProposal:
      return &find_named(cfg.ike_proposals, object)->opaque;
    case View::IkePeer:
      return &find_named(cfg.ike_peers, object)->opaque;
    case View::Opaque:
      return cfg.opaque.empty() ? nullptr : &cfg.opaque.back().lines;
    case View::Global:
    case View::User:
    case View::System:
    case View::Count:
      return nullptr;
  }
  return nullptr;
}

void keep_unemulated_block(CommandContext& c, std::string_view line, std::string_view command,
                           const std::string& near) {
  const std::string kept(trim_right(line));
  c.config().opaque.push_back(config::OpaqueBlock{{kept}});
  c.note_unknown(std::string(command), near);
  c.enter(View::Opaque, "", opaque_prompt(kept));
}

void add_unemulated_command(CommandTree& system_tree, const std::string& command) {
  add_opaque(system_tree, command, opaque_block(false));
}

void register_unemulated_commands(CommandEngine& e) {
  CommandTree& sys = e.tree(View::System);
  register_aaa_commands(sys);
  for (std::string_view cmd : kBlockCommands) add_opaque(sys, std::string(cmd), opaque_block(true));
  for (std::string_view cmd : kLineCommands) add_opaque(sys, std::string(cmd), opaque_block(false));
  // "undo info-center enable" and the like: the undo form of an unemulated command is kept too.
  for (std::string_view cmd : kLineCommands)
    add_opaque(sys, "undo " + std::string(cmd), opaque_block(false));
  for (std::string_view cmd : kBlockCommands)
    add_opaque(sys, "undo " + std::string(cmd), opaque_block(false));

  auto iface = opaque_sub([](CommandContext& c) -> std::vector<std::string>& {
    return c.config().interface(c.frame().object).opaque;
  });
  for (std::string_view cmd : kInterfaceCommands)
    add_opaque(e.tree(View::Interface), std::string(cmd), iface);

  auto sec_rule = opaque_sub([](CommandContext& c) -> std::vector<std::string>& {
    auto& p = c.config().security_policy;
    return p.index.find(p.rules, c.frame().object)->opaque;
  });
  auto nat_rule = opaque_sub([](CommandContext& c) -> std::vector<std::string>& {
    auto& p = c.config().nat_policy;
    return p.index.find(p.rules, c.frame().object)->opaque;
  });
  auto traffic_rule = opaque_sub([](CommandContext& c) -> std::vector<std::string>& {
    auto& p = c.config().traffic_policy;
    return p.index.find(p.rules, c.frame().object)->opaque;
  });
  for (std::string_view cmd : kRuleCommands) {
    add_opaque(e.tree(View::SecurityRule), std::string(cmd), sec_rule);
    add_opaque(e.tree(View::NatRule), std::string(cmd), nat_rule);
    // In traffic-policy, `profile NAME` is the policy view's own command (a bandwidth profile),
    // which the rule view reaches as any parent's.
    if (cmd != "profile") add_opaque(e.tree(View::TrafficRule), std::string(cmd), traffic_rule);
  }
  add_opaque(e.tree(View::AddressGroup), "route",
             opaque_sub([](CommandContext& c) -> std::vector<std::string>& {
               return find_named(c.config().address_groups, c.frame().object)->opaque;
             }));
}

}  // namespace vfw::cli
