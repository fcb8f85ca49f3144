// ipsec proposal, ipsec policy (isakmp and manual), ipsec sha2 compatible, anti-replay window.
#include <cctype>

#include <variant>

#include "cli/command_helpers.hpp"
#include "config/secret.hpp"
#include "ipsec/algorithms.hpp"

namespace vfw::cli {
namespace {

config::IpsecProposal& current_proposal(CommandContext& c) {
  return *find_named(c.config().ipsec_proposals, c.frame().object);
}

config::IpsecPolicy* find_policy(std::vector<config::IpsecPolicy>& list, std::string_view name,
                                 uint32_t seq) {
  return find_if_ptr(list, [&](const auto& p) { return p.name == name && p.seq == seq; });
}

// The entry NAME SEQ of a policy list kept sorted by name and sequence number, created if it is
// not there; the flag says whether it was.
std::pair<config::IpsecPolicy*, bool> find_or_insert(std::vector<config::IpsecPolicy>& list,
                                                     const std::string& name, uint32_t seq) {
  if (auto* p = find_policy(list, name, seq)) return {p, false};
  auto at = std::find_if(list.begin(), list.end(), [&](const auto& x) {
    return x.name > name || (x.name == name && x.seq > seq);
  });
  config::IpsecPolicy fresh;
  fresh.name = name;
  fresh.seq = seq;
  return {&*list.insert(at, std::move(fresh)), true};
}

config::IpsecPolicy& current_policy(CommandContext& c) {
  return *edited_ipsec_policy(c);
}

bool is_hex(const std::string& s) {
  if (s.empty() || s.size() % 2 != 0) return false;
  for (char ch : s) {
    if (std::isxdigit(static_cast<unsigned char>(ch)) == 0) return false;
  }
  return true;
}

// `cipher` takes the key in plain hex as well; the device's own cipher text of a key cannot be
// read.
// The key as hex digits: typed in clear, or the cipher form display current-configuration and
// save print (config/secret.hpp). An error never repeats the key.
Expected<std::string> key_hex(const Args& a) {
  const std::string& text = a.str("hex");
  if (config::is_sealed(text)) {
    auto clear = config::open_secret(text);
    if (!clear) {
      return fail("Error: The cipher text was not made by this device's key (or was altered).");
    }
    if (!is_hex(*clear))
      return fail("Error: The key must be an even number of hexadecimal digits.");
    return *clear;
  }
  if (a.has("cipher")) {
    return fail(
        "Error: After cipher, give the key's cipher text (%^%#...%^%#) as display "
        "current-configuration prints it.");
  }
  if (!is_hex(text)) return fail("Error: The key must be an even number of hexadecimal digits.");
  return text;
}

config::ManualSaKeys& keys(config::IpsecPolicy& p, const Args& a) {
  const bool inbound = a.has("inbound");
  if (a.has("ah")) return inbound ? p.ah_in : p.ah_out;
  return inbound ? p.esp_in : p.esp_out;
}

}  // namespace

config::IpsecPolicy* edited_ipsec_policy(CommandContext& c) {
  std::string_view key = c.frame().object;  // "NAME SEQ" or "template NAME SEQ"
  auto* list = &c.config().ipsec_policies;
  if (key.rfind("template ", 0) == 0) {
    key.remove_prefix(9);
    list = &c.config().ipsec_templates;
  }
  const size_t space = key.rfind(' ');
  const auto seq = parse_uint(key.substr(space + 1), 0xffffffffU).value_or(0);
  return find_policy(*list, key.substr(0, space), seq);
}

void register_ipsec_commands(CommandEngine& e) {
  CommandTree& sys = e.tree(View::System);
  sys.add("ipsec proposal {word:name}", [](CommandContext& c, const Args& a) -> Result {
    auto& list = c.config().ipsec_proposals;
    if (find_named(list, a.str("name")) == nullptr) {
      config::IpsecProposal p;
      p.name = a.str("name");
      list.push_back(std::move(p));
    }
    c.enter(View::IpsecProposal, a.str("name"), "ipsec-proposal-" + a.str("name"));
    return kOk;
  });
  sys.add("undo ipsec proposal {word:name}", [](CommandContext& c, const Args& a) -> Result {
    for (const auto& p : c.config().ipsec_policies) {
      if (p.proposal == a.str("name"))
        return fail("Error: The proposal is referenced by ipsec policy " + p.name + ".");
    }
    if (!erase_named(c.config().ipsec_proposals, a.str("name")))
      return fail("Error: The proposal does not exist.");
    return kOk;
  });
  CommandTree& prop = e.tree(View::IpsecProposal);
  prop.add("transform ( esp | ah | ah-esp )", [](CommandContext& c, const Args& a) -> Result {
    current_proposal(c).transform = a.has("ah-esp") ? config::IpsecProposal::Transform::AhEsp
                                    : a.has("ah")   ? config::IpsecProposal::Transform::Ah
                                                    : config::IpsecProposal::Transform::Esp;
    return kOk;
  });
  prop.add("encapsulation-mode ( tunnel | transport | auto )",
           [](CommandContext& c, const Args& a) -> Result {
             current_proposal(c).tunnel = !a.has("transport");
             current_proposal(c).auto_mode = a.has("auto");
             return kOk;
           });
  prop.add("esp encryption-algorithm ( " + ipsec::encryption_keywords() + " | " +
               std::string(ipsec::kAesV300) + " )",
           [](CommandContext& c, const Args& a) -> Result {
             for (auto e2 = 1; e2 <= 8; ++e2) {
               const auto kw = std::string(ipsec::info(static_cast<ipsec::Encryption>(e2)).keyword);
               if (a.has(kw)) current_proposal(c).esp_encryption = kw;
             }
             // Kept as written, so that the file prints back as the device saved it.
             if (a.has(ipsec::kAesV300)) current_proposal(c).esp_encryption = ipsec::kAesV300;
             return kOk;
           });
  auto auth = [](bool esp) {
    return [esp](CommandContext& c, const Args& a) -> Result {
      for (auto i = 1; i <= 5; ++i) {
        const auto kw = std::string(ipsec::info(static_cast<ipsec::Authentication>(i)).keyword);
        if (!a.has(kw)) continue;
        (esp ? current_proposal(c).esp_authentication : current_proposal(c).ah_authentication) = kw;
      }
      return kOk;
    };
  };
  prop.add("esp authentication-algorithm ( " + ipsec::authentication_keywords() + " )", auth(true));
  prop.add("ah authentication-algorithm ( " + ipsec::authentication_keywords() + " )", auth(false));

  sys.add("ipsec policy-template {word:name} {uint:seq:1-10000}",
          [](CommandContext& c, const Args& a) -> Result {
            const uint32_t seq = a.uint("seq");
            find_or_insert(c.config().ipsec_templates, a.str("name"), seq).first->is_template =
                true;
            // The device's own spelling of this prompt.
            c.enter(View::IpsecPolicy, "template " + a.str("name") + " " + std::to_string(seq),
                    "ipsec-policy-templet-" + a.str("name") + "-" + std::to_string(seq));
            return kOk;
          });
  sys.add("undo ipsec policy-template {word:name} [ {uint:seq:1-10000} ]",
          [](CommandContext& c, const Args& a) -> Result {
            for (const auto& p : c.config().ipsec_policies) {
              if (p.template_name == a.str("name"))
                return fail("Error: The template is referenced by ipsec policy " + p.name + ".");
            }
            const auto n = std::erase_if(c.config().ipsec_templates, [&](const auto& p) {
              return p.name == a.str("name") && (!a.has("seq") || p.seq == a.uint("seq"));
            });
            if (n == 0) return fail("Error: The IPSec policy template does not exist.");
            return kOk;
          });
  sys.add(
      "ipsec policy {word:name} {uint:seq:1-10000} isakmp template {word:template}",
      [](CommandContext& c, const Args& a) -> Result {
        const bool exists =
            std::any_of(c.config().ipsec_templates.begin(), c.config().ipsec_templates.end(),
                        [&](const auto& t) { return t.name == a.str("template"); });
        if (!exists)
          return fail("Error: The IPSec policy template " + a.str("template") + " does not exist.");
        auto [p, created] = find_or_insert(c.config().ipsec_policies, a.str("name"), a.uint("seq"));
        if (!created) return fail("Error: The IPSec policy already exists.");
        p->template_name = a.str("template");
        return kOk;
      });
  sys.add("ipsec policy {word:name} {uint:seq:1-10000} ( isakmp | manual )",
          [](CommandContext& c, const Args& a) -> Result {
            const uint32_t seq = a.uint("seq");
            auto [p, created] = find_or_insert(c.config().ipsec_policies, a.str("name"), seq);
            if (created) {
              p->manual = a.has("manual");
            } else if (!p->template_name.empty()) {
              return fail("Error: The policy already exists and uses template " + p->template_name +
                          ".");
            } else if (p->manual != a.has("manual")) {
              return fail("Error: The policy already exists in " +
                          std::string(p->manual ? "manual" : "isakmp") + " mode.");
            }
            const std::string mode = p->manual ? "manual" : "isakmp";
            c.enter(View::IpsecPolicy, p->name + " " + std::to_string(seq),
                    "ipsec-policy-" + mode + "-" + p->name + "-" + std::to_string(seq));
            return kOk;
          });
  sys.add("undo ipsec policy {word:name} [ {uint:seq:1-10000} ]",
          [](CommandContext& c, const Args& a) -> Result {
            auto& list = c.config().ipsec_policies;
            const auto n = std::erase_if(list, [&](const auto& p) {
              return p.name == a.str("name") && (!a.has("seq") || p.seq == a.uint("seq"));
            });
            if (n == 0) return fail("Error: The IPSec policy does not exist.");
            return kOk;
          });
  sys.add("ipsec sha2 compatible enable", [](CommandContext& c, const Args&) -> Result {
    c.config().ipsec_sha2_compatible = true;
    return kOk;
  });
  sys.add("undo ipsec sha2 compatible enable", [](CommandContext& c, const Args&) -> Result {
    c.config().ipsec_sha2_compatible = false;
    return kOk;
  });
  sys.add("ipsec anti-replay window {uint:size:32-1024}",
          [](CommandContext& c, const Args& a) -> Result {
            c.config().ipsec_anti_replay_window = a.uint("size");
            return kOk;
          });
  sys.add("undo ipsec anti-replay window", [](CommandContext& c, const Args&) -> Result {
    c.config().ipsec_anti_replay_window = 64;
    return kOk;
  });

  CommandTree& pol = e.tree(View::IpsecPolicy);
  pol.add("security acl {uint:acl:3000-3999}", [](CommandContext& c, const Args& a) -> Result {
    current_policy(c).acl = a.uint("acl");
    return kOk;
  });
  pol.add("proposal {word:proposal}", [](CommandContext& c, const Args& a) -> Result {
    if (find_named(c.config().ipsec_proposals, a.str("proposal")) == nullptr) {
      return fail("Error: The IPSec proposal " + a.str("proposal") + " does not exist.");
    }
    current_policy(c).proposal = a.str("proposal");
    return kOk;
  });
  pol.add("ike-peer {word:peer}", [](CommandContext& c, const Args& a) -> Result {
    if (current_policy(c).manual) return fail("Error: A manual IPSec policy has no IKE peer.");
    current_policy(c).ike_peer = a.str("peer");
    return kOk;
  });
  pol.add(
      "pfs ( dh-group1 | dh-group2 | dh-group5 | dh-group14 | dh-group15 | dh-group16 | dh-group19 "
      "| dh-group20 | dh-group21 )",
      [](CommandContext& c, const Args& a) -> Result {
        for (const char* g : {"dh-group1", "dh-group2", "dh-group5", "dh-group14", "dh-group15",
                              "dh-group16", "dh-group19", "dh-group20", "dh-group21"}) {
          if (a.has(g)) current_policy(c).pfs = g;
        }
        return kOk;
      });
  pol.add("undo pfs", [](CommandContext& c, const Args&) -> Result {
    current_policy(c).pfs.clear();
    return kOk;
  });
  pol.add("tunnel local ( {ip:local_ip} | applied-interface )",
          [](CommandContext& c, const Args& a) -> Result {
            config::IpsecPolicy& p = current_policy(c);
            p.local_applied_spelling.clear();
            if (a.has("local_ip")) {
              p.tunnel_local = a.ip("local_ip");
            } else {
              p.tunnel_local.reset();
              p.local_applied_spelling = "tunnel local applied-interface";
            }
            return kOk;
          });
  pol.add("local-address applied-interface", [](CommandContext& c, const Args&) -> Result {
    current_policy(c).tunnel_local.reset();
    current_policy(c).local_applied_spelling = "local-address applied-interface";
    return kOk;
  });
  pol.add("tunnel remote {ip:remote}", [](CommandContext& c, const Args& a) -> Result {
    current_policy(c).tunnel_remote = a.ip("remote");
    return kOk;
  });
  pol.add(
      "sa duration ( time-based {uint:seconds:0-604800} | traffic-based {uint:kb:0-4294967295} )",
      [](CommandContext& c, const Args& a) -> Result {
        if (a.has("seconds")) current_policy(c).duration_time = a.uint("seconds");
        if (a.has("kb")) current_policy(c).duration_traffic = a.uint("kb");
        return kOk;
      });
  pol.add("sa spi ( inbound | outbound ) ( esp | ah ) {uint:spi:256-4294967295}",
          [](CommandContext& c, const Args& a) -> Result {
            if (!current_policy(c).manual)
              return fail("Error: SPIs are configured only in a manual IPSec policy.");
            keys(current_policy(c), a).spi = a.uint("spi");
            return kOk;
          });
  pol.add("sa encryption-hex ( inbound | outbound ) esp [ simple | cipher ] {text:hex}",
          [](CommandContext& c, const Args& a) -> Result {
            if (!current_policy(c).manual)
              return fail("Error: Keys are configured only in a manual IPSec policy.");
            auto hex = key_hex(a);
            if (!hex) return Unexpected(std::move(hex).error());
            keys(current_policy(c), a).encryption_hex = *hex;
            return kOk;
          });
  pol.add(
      "sa authentication-hex ( inbound | outbound ) ( esp | ah ) [ simple | cipher ] {text:hex}",
      [](CommandContext& c, const Args& a) -> Result {
        if (!current_policy(c).manual)
          return fail("Error: Keys are configured only in a manual IPSec policy.");
        auto hex = key_hex(a);
        if (!hex) return Unexpected(std::move(hex).error());
        keys(current_policy(c), a).authentication_hex = *hex;
        return kOk;
      });
  pol.add("sa trigger-mode ( auto | traffic-based )",
          [](CommandContext& c, const Args& a) -> Result {
            current_policy(c).trigger_mode =
                a.has("auto") ? config::TriggerMode::Auto : config::TriggerMode::TrafficBased;
            return kOk;
          });
  for (const char* kw : {"route inject", "sa force-detection", "anti-replay", "policy enable",
                         "remote-address", "sa string-key"}) {
    // Kept as written (sa string-key: the device's key derivation from a string is not public).
    pol.add(
        std::string(kw) + " [ {text:rest} ]",
        [kw = std::string(kw)](CommandContext& c, const Args& a) -> Result {
          current_policy(c).opaque.push_back(" " + kw +
                                             (a.str("rest").empty() ? "" : " " + a.str("rest")));
          c.note_unemulated(kw);
          return kOk;
        },
        CommandKind::Unemulated);
  }
}

}  // namespace vfw::cli
