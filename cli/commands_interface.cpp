// Interface view: address, MTU, shutdown, service-manage, tcp adjust-mss, ipsec policy.
#include <array>

#include "cli/command_helpers.hpp"

namespace vfw::cli {
namespace {

config::Interface& current(CommandContext& c) {
  return c.config().interface(c.frame().object);
}

}  // namespace

void register_interface_commands(CommandEngine& e) {
  CommandTree& t = e.tree(View::Interface);
  t.add("ip address {ip:a} {mask:m}", [](CommandContext& c, const Args& a) -> Result {
    const unsigned len = a.mask("m");
    const Ipv4 host = a.ip("a");
    if (len == 0 || (len < 31 && (host == Prefix::make(host, len).addr ||
                                  host.v == Prefix::make(host, len).last()))) {
      return fail("Error: The specified IP address is invalid.");
    }
    // Two interfaces may not share a subnet, as the device refuses overlapping addresses.
    for (const auto& [name, other] : c.config().interfaces) {
      if (name == c.frame().object || !other.address) continue;
      const Prefix mine = Prefix::make(host, len);
      const Prefix theirs = other.address->network();
      if (mine.contains(theirs.addr) || theirs.contains(mine.addr)) {
        return fail("Error: The address overlaps with that of interface " + name + ".");
      }
    }
    current(c).address = config::Interface::Address{host, static_cast<uint8_t>(len)};
    return kOk;
  });
  t.add("undo ip address [ {ip:a} {mask:m} ]", [](CommandContext& c, const Args&) -> Result {
    current(c).address.reset();
    return kOk;
  });
  t.add("description {text:d:1-242}", [](CommandContext& c, const Args& a) -> Result {
    current(c).description = a.str("d");
    return kOk;
  });
  t.add("undo description", [](CommandContext& c, const Args&) -> Result {
    current(c).description.clear();
    return kOk;
  });
  t.add("shutdown", [](CommandContext& c, const Args&) -> Result {
    current(c).shutdown = true;
    current(c).undo_shutdown_shown = false;
    return kOk;
  });
  t.add("undo shutdown", [](CommandContext& c, const Args&) -> Result {
    current(c).shutdown = false;
    current(c).undo_shutdown_shown = true;
    return kOk;
  });
  t.add("mtu {uint:mtu:46-9600}", [](CommandContext& c, const Args& a) -> Result {
    current(c).mtu = a.uint("mtu");
    return kOk;
  });
  t.add("undo mtu", [](CommandContext& c, const Args&) -> Result {
    current(c).mtu = 1500;
    return kOk;
  });
  t.add("service-manage enable", [](CommandContext& c, const Args&) -> Result {
    current(c).service_manage.enabled = true;
    return kOk;
  });
  t.add("undo service-manage enable", [](CommandContext& c, const Args&) -> Result {
    current(c).service_manage.enabled = false;
    return kOk;
  });
  std::string services;  // "http | https | ping | ...", from the one list of them
  for (const auto& s : config::kManageServices)
    services += (services.empty() ? "" : " | ") + std::string(s.keyword);
  t.add("service-manage ( " + services + " ) ( permit | deny )",
        [](CommandContext& c, const Args& a) -> Result {
          auto& permitted = current(c).service_manage.permitted;
          for (const auto& s : config::kManageServices) {
            if (!a.has(s.keyword)) continue;
            if (a.has("permit")) {
              permitted.add(s.service);
            } else {
              permitted.remove(s.service);
            }
          }
          return kOk;
        });
  t.add("tcp adjust-mss {uint:mss:128-9600}", [](CommandContext& c, const Args& a) -> Result {
    current(c).tcp_adjust_mss = static_cast<uint16_t>(a.uint("mss"));
    return kOk;
  });
  t.add("undo tcp adjust-mss", [](CommandContext& c, const Args&) -> Result {
    current(c).tcp_adjust_mss.reset();
    return kOk;
  });
  t.add("ipsec policy {word:policy} [ auto-neg ]", [](CommandContext& c, const Args& a) -> Result {
    current(c).ipsec_policy = a.str("policy");
    current(c).ipsec_auto_neg = a.has("auto-neg");
    return kOk;
  });
  t.add("undo ipsec policy [ {word:policy} ]", [](CommandContext& c, const Args&) -> Result {
    current(c).ipsec_policy.clear();
    current(c).ipsec_auto_neg = false;
    return kOk;
  });
  // A subinterface carries one VLAN (GigabitEthernet1/0/0.10 with `vlan-type dot1q 10`).
  t.add("vlan-type dot1q {uint:vlan:1-4094}", [](CommandContext& c, const Args& a) -> Result {
    if (c.frame().object.find('.') == std::string::npos)
      return fail("Error: The command can be used only on a subinterface.");
    current(c).dot1q = static_cast<uint16_t>(a.uint("vlan"));
    return kOk;
  });
  t.add("undo vlan-type dot1q [ {uint:vlan:1-4094} ]",
        [](CommandContext& c, const Args&) -> Result {
          current(c).dot1q.reset();
          return kOk;
        });
  // A member port of an Eth-Trunk: what it receives enters the trunk, which holds the address.
  t.add("eth-trunk {uint:trunk:0-255}", [](CommandContext& c, const Args& a) -> Result {
    const std::string& name = c.frame().object;
    if (name.rfind("GigabitEthernet", 0) != 0 || name.find('.') != std::string::npos)
      return fail("Error: Only a physical Ethernet port can join an Eth-Trunk.");
    config::Interface& i = current(c);
    if (i.address)
      return fail("Error: The interface has an IP address; it cannot join an Eth-Trunk.");
    c.config().interface("Eth-Trunk" + std::to_string(a.uint("trunk")));
    current(c).trunk = static_cast<uint16_t>(a.uint("trunk"));
    return kOk;
  });
  t.add("undo eth-trunk", [](CommandContext& c, const Args&) -> Result {
    current(c).trunk.reset();
    return kOk;
  });
}

}  // namespace vfw::cli
