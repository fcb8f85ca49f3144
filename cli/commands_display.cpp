// display commands, valid in every view. Each prints in the device's format (cli/display_*.cpp,
// docs/display-formats.md).
#include "cli/command_helpers.hpp"
#include "cli/display_formats.hpp"
#include "config/render.hpp"
#include "device/device.hpp"

namespace vfw::cli {
namespace {

// display this: the configuration of the object the current view edits.
std::string display_this(CommandContext& c) {
  const config::Config& cfg = c.config();
  const Frame& f = c.frame();
  auto block = [](const std::string& body) { return "#\n" + body + "#\nreturn\n"; };
  switch (f.view) {
    case View::Interface:
      return block("interface " + f.object + "\n" +
                   config::render_interface_body(cfg.interfaces.at(f.object)));
    case View::Zone: {
      const config::Zone* z = cfg.find_zone(f.object);
      std::string body = (z->builtin ? "firewall zone " : "firewall zone name ") + z->name + "\n";
      if (z->builtin || z->priority != 0)
        body += " set priority " + std::to_string(z->priority) + "\n";
      for (const auto& i : z->interfaces) body += " add interface " + i + "\n";
      return block(body);
    }
    case View::AclBasic:
    case View::AclAdvanced: {
      const auto& acl = cfg.acls.at(static_cast<uint32_t>(std::stoul(f.object)));
      std::string body = "acl number " + f.object + "\n";
      for (const auto& r : acl.rules) {
        body +=
            " " +
            (acl.number < 3000 ? config::render_basic_acl_rule(r) : config::render_acl_rule(r)) +
            "\n";
      }
      return block(body);
    }
    case View::SecurityRule:
    case View::NatRule: {
      // In a rule view the device prints the rule's body alone.
      std::string text;
      if (f.view == View::SecurityRule) {
        for (const auto& r : cfg.security_policy.rules) {
          if (r.name == f.object) text = config::render_security_rule(r);
        }
      } else {
        for (const auto& r : cfg.nat_policy.rules) {
          if (r.name == f.object) text = config::render_nat_rule(r);
        }
      }
      return text.substr(text.find('\n') + 1);
    }
    case View::PolicySecurity: {
      std::string body = "security-policy\n";
      for (const auto& r : cfg.security_policy.rules) body += config::render_security_rule(r);
      return block(body);
    }
    case View::PolicyNat: {
      std::string body = "nat-policy\n";
      for (const auto& r : cfg.nat_policy.rules) body += config::render_nat_rule(r);
      return block(body);
    }
    case View::PolicyTraffic:
      return block(config::render_traffic_policy(cfg.traffic_policy));
    case View::TrafficProfile:
    case View::TrafficRule: {
      // As in the other rule views: the body alone.
      std::string text;
      for (const auto& p : cfg.traffic_policy.profiles) {
        if (f.view == View::TrafficProfile && p.name == f.object)
          text = config::render_traffic_profile(p);
      }
      for (const auto& r : cfg.traffic_policy.rules) {
        if (f.view == View::TrafficRule && r.name == f.object)
          text = config::render_traffic_rule(r);
      }
      return text.substr(text.find('\n') + 1);
    }
    case View::IpsecProposal:
      for (const auto& p : cfg.ipsec_proposals) {
        if (p.name == f.object) return block(config::render_ipsec_proposal(p));
      }
      return "";
    case View::IkeProposal:
      for (const auto& p : cfg.ike_proposals) {
        if (p.name == f.object) return block(config::render_ike_proposal(p));
      }
      return "";
    case View::IkePeer:
      for (const auto& p : cfg.ike_peers) {
        if (p.name == f.object) return block(config::render_ike_peer(p));
      }
      return "";
    case View::IpsecPolicy:
      for (const auto& p : cfg.ipsec_policies) {
        if (p.name + " " + std::to_string(p.seq) == f.object)
          return block(config::render_ipsec_policy(p));
      }
      return "";
    default:
      return config::render_current_configuration(cfg);
  }
}

template <typename F>
Handler with_device(F f) {
  return [f](CommandContext& c, const Args& a) -> Result {
    Device* d = c.device();
    if (d == nullptr) return fail("Error: No device is running.");
    c.out() += f(*d, a);
    return kOk;
  };
}

// display security-policy|nat-policy rule name NAME: the one rule, as the configuration has it.
template <typename Rules, typename Render>
Handler show_rule(Rules rules, Render render) {
  return [rules, render](CommandContext& c, const Args& a) -> Result {
    for (const auto& r : rules(c.config())) {
      if (r.name == a.str("name")) {
        c.out() += render(r);
        return kOk;
      }
    }
    return fail("Error: The rule " + a.str("name") + " does not exist.");
  };
}

// display current-configuration interface [IF] | configuration SECTION: the blocks of the
// configuration whose first line begins with the words, each framed by "#" as the device frames
// them, then "return".
std::string configuration_blocks(const config::Config& cfg, const std::string& words) {
  const std::string text = config::render_current_configuration(cfg);
  std::string out, block;
  size_t pos = 0;
  auto flush = [&] {
    if (block.compare(0, words.size(), words) == 0 &&
        (block.size() == words.size() || block[words.size()] == ' ' || block[words.size()] == '\n'))
      out += "#\n" + block;
    block.clear();
  };
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line == "#" || line == "return") {
      flush();
      continue;
    }
    block += line + "\n";
  }
  flush();
  return out.empty() ? "" : out + "#\nreturn\n";
}

}  // namespace

void register_display_commands(CommandEngine& e) {
  CommandTree& t = e.tree(View::Global);
  t.add("display current-configuration", [](CommandContext& c, const Args&) -> Result {
    c.out() += config::render_current_configuration(c.config());
    return kOk;
  });
  t.add("display current-configuration interface [ {iface:ifname} ]",
        [](CommandContext& c, const Args& a) -> Result {
          const std::string words = "interface" + (a.has("ifname") ? " " + a.str("ifname") : "");
          if (a.has("ifname") && c.config().interfaces.count(a.str("ifname")) == 0)
            return fail("Error: The interface does not exist.");
          c.out() += configuration_blocks(c.config(), words);
          return kOk;
        });
  t.add("display current-configuration configuration {text:section:1-80}",
        [](CommandContext& c, const Args& a) -> Result {
          c.out() += configuration_blocks(c.config(), a.str("section"));
          return kOk;
        });
  t.add("display this", [](CommandContext& c, const Args&) -> Result {
    c.out() += display_this(c);
    return kOk;
  });
  t.add("display interface brief",
        with_device([](Device& d, const Args&) { return display_interface_brief(d); }));
  t.add("display interface",
        with_device([](Device& d, const Args&) { return display_interface(d, kNoInterface); }));
  t.add("display interface {iface:ifname}", [](CommandContext& c, const Args& a) -> Result {
    if (c.device() == nullptr) return fail("Error: No device is running.");
    const uint16_t i = c.device()->snapshot().interface_index(a.str("ifname"));
    if (i == kNoInterface) return fail("Error: The interface does not exist.");
    c.out() += display_interface(*c.device(), i);
    return kOk;
  });
  t.add("display arp", with_device([](Device& d, const Args&) { return display_arp(d, {}); }));
  t.add("display arp all", with_device([](Device& d, const Args&) { return display_arp(d, {}); }));
  t.add("display arp dynamic",
        with_device([](Device& d, const Args&) { return display_arp(d, {true}); }));
  t.add("display arp interface {iface:ifname}", [](CommandContext& c, const Args& a) -> Result {
    if (c.device() == nullptr) return fail("Error: No device is running.");
    const uint16_t i = c.device()->snapshot().interface_index(a.str("ifname"));
    if (i == kNoInterface) return fail("Error: The interface does not exist.");
    c.out() += display_arp(*c.device(), {false, i});
    return kOk;
  });
  t.add("display ip interface brief",
        with_device([](Device& d, const Args&) { return display_ip_interface_brief(d); }));
  t.add("display ip routing-table",
        with_device([](Device& d, const Args&) { return display_ip_routing_table(d); }));
  t.add("display ip routing-table verbose",
        with_device([](Device& d, const Args&) { return display_ip_routing_table_verbose(d); }));
  t.add("display ip routing-table {ip:dest} [ verbose ]", with_device([](Device& d, const Args& a) {
          return display_ip_routing_table_for(d, a.ip("dest"), a.has("verbose"));
        }));
  t.add("display ip routing-table protocol static",
        with_device([](Device& d, const Args&) { return display_ip_routing_table_static(d); }));
  t.add("display zone", with_device([](Device& d, const Args&) { return display_zone(d); }));
  t.add("display version", with_device([](Device& d, const Args&) { return display_version(d); }));
  t.add("display logbuffer", with_device([](Device& d, const Args&) {
          return d.logbuffer().display(d.config().sysname);
        }));
  t.add("display nat server",
        with_device([](Device& d, const Args&) { return display_nat_server(d); }));
  t.add("display cpu-usage", [](CommandContext& c, const Args&) -> Result {
    c.out() += display_cpu_usage();
    return kOk;
  });
  t.add("display memory-usage", [](CommandContext& c, const Args&) -> Result {
    c.out() += display_memory_usage();
    return kOk;
  });
  t.add("display security-policy rule all",
        with_device([](Device& d, const Args&) { return display_security_policy_all(d); }));
  t.add("display nat-policy rule all",
        with_device([](Device& d, const Args&) { return display_nat_policy_all(d); }));
  t.add("display security-policy rule name {word:name}",
        show_rule(
            [](const config::Config& c) -> auto& { return c.security_policy.rules; },
            [](const config::SecurityRule& r) { return config::render_security_rule(r); }));
  t.add("display nat-policy rule name {word:name}",
        show_rule(
            [](const config::Config& c) -> auto& { return c.nat_policy.rules; },
            [](const config::NatRule& r) { return config::render_nat_rule(r); }));
  t.add("display acl all", with_device([](Device& d, const Args&) { return display_acl(d, -1); }));
  t.add("display acl {uint:num:2000-3999}", [](CommandContext& c, const Args& a) -> Result {
    if (c.device() == nullptr) return fail("Error: No device is running.");
    if (c.config().acls.count(a.uint("num")) == 0) return fail("Error: The ACL does not exist.");
    c.out() += display_acl(*c.device(), static_cast<int>(a.uint("num")));
    return kOk;
  });
  t.add("display firewall session table [ verbose ]", with_device([](Device& d, const Args& a) {
          return display_session_table(d, a.has("verbose"));
        }));
  t.add("display firewall server-map",
        with_device([](Device& d, const Args&) { return display_server_map(d); }));
  t.add("display ipsec sa",
        with_device([](Device& d, const Args&) { return display_ipsec_sa(d); }));
  t.add("display ipsec statistics",
        with_device([](Device& d, const Args&) { return display_ipsec_statistics(d); }));
  t.add("display ipsec sa brief",
        with_device([](Device& d, const Args&) { return display_ipsec_sa_brief(d); }));
  t.add("display ike sa", with_device([](Device& d, const Args&) { return display_ike_sa(d); }));
  t.add("display ike proposal [ number {uint:number:1-99} | default ]",
        with_device([](Device& d, const Args& a) {
          return display_ike_proposal(d, a.has("default") ? "default" : a.str("number"));
        }));
  t.add("display ike sa verbose",
        with_device([](Device& d, const Args&) { return display_ike_sa_verbose(d); }));
  t.add("display ike peer", with_device([](Device& d, const Args&) {
          std::string o;
          for (const auto& p : d.config().ike_peers) o += display_ike_peer(d, p.name);
          return o;
        }));
  t.add("display ike peer name {word:name}",
        with_device([](Device& d, const Args& a) { return display_ike_peer(d, a.str("name")); }));
  t.add("display ike peer brief",
        with_device([](Device& d, const Args&) { return display_ike_peer_brief(d); }));
  t.add("display ipsec proposal [ name {word:name} ]", with_device([](Device& d, const Args& a) {
          return display_ipsec_proposal(d, a.str("name"));
        }));
  t.add("display ipsec policy [ name {word:name} ]", with_device([](Device& d, const Args& a) {
          return display_ipsec_policy(d, a.str("name"));
        }));
  t.add("display ipsec policy brief",
        with_device([](Device& d, const Args&) { return display_ipsec_policy_brief(d); }));
  t.add("display ikev2 statistics error",
        with_device([](Device& d, const Args&) { return display_ikev2_statistics_error(d); }));
  t.add("display ike error-info",
        with_device([](Device& d, const Args&) { return display_ike_error_info(d); }));
  t.add("display firewall statistics system discard",
        with_device([](Device& d, const Args&) { return display_discard(d); }));
}

}  // namespace vfw::cli
