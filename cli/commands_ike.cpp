// ike proposal, ike peer and ike local-name: what IKE negotiates with and with whom.
#include <cctype>

#include "cli/command_helpers.hpp"
#include "config/secret.hpp"
#include "device/device.hpp"
#include "ike/ike_algorithms.hpp"

namespace vfw::cli {
namespace {

// Up to four algorithms after the keyword, in order of preference, as the device takes them:
// "( a | b ) [ ( a | b ) [ ... ] ]".
std::string up_to_four(const std::string& alternatives) {
  const std::string one = "( " + alternatives + " )";
  return one + " [ " + one + " [ " + one + " [ " + one + " ] ] ]";
}

// The algorithm keywords of the line as typed, in order, each completed from its abbreviation:
// the pattern has already checked that every word names exactly one.
std::vector<std::string> typed_keywords(const CommandContext& c, const std::string& alternatives) {
  std::vector<std::string> choices;
  for (size_t at = 0; at < alternatives.size();) {
    const size_t bar = alternatives.find(" | ", at);
    choices.push_back(
        alternatives.substr(at, bar == std::string::npos ? std::string::npos : bar - at));
    at = bar == std::string::npos ? alternatives.size() : bar + 3;
  }
  std::vector<std::string> out;
  const auto tokens = tokenize(c.current_line);
  for (size_t i = 1; i < tokens.size(); ++i) {
    // The command tree matched keywords without regard to case; so must this second look.
    std::string word(tokens[i].text);
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    for (const auto& choice : choices) {
      if (choice == word ||
          (choice.size() > word.size() && choice.compare(0, word.size(), word) == 0)) {
        if (std::find(out.begin(), out.end(), choice) == out.end()) out.push_back(choice);
        break;
      }
    }
  }
  return out;
}

config::IkeProposal& current_proposal(CommandContext& c) {
  return *find_named(c.config().ike_proposals, c.frame().object);
}

config::IkePeer& current_peer(CommandContext& c) {
  return *find_named(c.config().ike_peers, c.frame().object);
}

// The device's identity types for local-id-type and remote-id-type.
constexpr const char* kIdTypes = "ip | fqdn | user-fqdn | dn | any";

}  // namespace

void register_ike_commands(CommandEngine& e) {
  CommandTree& sys = e.tree(View::System);
  sys.add("ike proposal ( default | {uint:number:1-99} )",
          [](CommandContext& c, const Args& a) -> Result {
            const std::string name = a.has("default") ? "default" : a.str("number");
            auto& list = c.config().ike_proposals;
            if (find_named(list, name) == nullptr) {
              config::IkeProposal p = name == "default" ? config::IkeProposal::builtin_default()
                                                        : config::IkeProposal{};
              p.name = name;
              list.push_back(std::move(p));
            }
            c.enter(View::IkeProposal, name, "ike-proposal-" + name);
            return kOk;
          });
  sys.add("undo ike proposal {uint:number:1-99}", [](CommandContext& c, const Args& a) -> Result {
    for (const auto& p : c.config().ike_peers) {
      if (p.ike_proposal == a.str("number"))
        return fail("Error: The IKE proposal is referenced by ike peer " + p.name + ".");
    }
    if (!erase_named(c.config().ike_proposals, a.str("number")))
      return fail("Error: The IKE proposal does not exist.");
    return kOk;
  });

  CommandTree& prop = e.tree(View::IkeProposal);
  auto list_command = [&prop](const std::string& keyword, const std::string& alternatives,
                              std::vector<std::string> config::IkeProposal::*field) {
    prop.add(keyword + " " + up_to_four(alternatives),
             [alternatives, field](CommandContext& c, const Args&) -> Result {
               current_proposal(c).*field = typed_keywords(c, alternatives);
               return kOk;
             });
  };
  list_command("encryption-algorithm", ike::encryption_keywords(),
               &config::IkeProposal::encryption);
  list_command("dh", ike::dh_keywords(), &config::IkeProposal::dh);
  list_command("authentication-algorithm", "md5 | sha1 | sha2-256 | sha2-384 | sha2-512",
               &config::IkeProposal::authentication);
  list_command("integrity-algorithm", ike::integrity_keywords(), &config::IkeProposal::integrity);
  list_command("prf", ike::prf_keywords(), &config::IkeProposal::prf);
  prop.add("authentication-method ( pre-share | rsa-signature | digital-envelope )",
           [](CommandContext& c, const Args& a) -> Result {
             if (!a.has("pre-share")) c.note_unemulated("authentication-method (certificates)");
             for (const auto word : config::kAuthenticationMethodWords) {
               if (a.has(std::string(word)))
                 current_proposal(c).authentication_method =
                     *config::parse_AuthenticationMethod(word);
             }
             return kOk;
           });
  prop.add("sa duration {uint:seconds:60-604800}", [](CommandContext& c, const Args& a) -> Result {
    current_proposal(c).duration = a.uint("seconds");
    return kOk;
  });
  prop.add("undo sa duration", [](CommandContext& c, const Args&) -> Result {
    current_proposal(c).duration = 86400;
    return kOk;
  });

  sys.add("ike peer {word:name}", [](CommandContext& c, const Args& a) -> Result {
    auto& list = c.config().ike_peers;
    if (a.str("name").size() > 15)
      return fail("Error: The IKE peer name is a string of 1 to 15 characters.");
    if (find_named(list, a.str("name")) == nullptr) {
      config::IkePeer p;
      p.name = a.str("name");
      list.push_back(std::move(p));
    }
    c.enter(View::IkePeer, a.str("name"), "ike-peer-" + a.str("name"));
    return kOk;
  });
  sys.add("undo ike peer {word:name}", [](CommandContext& c, const Args& a) -> Result {
    for (const auto& p : c.config().ipsec_policies) {
      if (p.ike_peer == a.str("name"))
        return fail("Error: The IKE peer is referenced by ipsec policy " + p.name + ".");
    }
    if (!erase_named(c.config().ike_peers, a.str("name")))
      return fail("Error: The IKE peer does not exist.");
    return kOk;
  });
  sys.add("ike local-name {word:name}", [](CommandContext& c, const Args& a) -> Result {
    c.config().ike_local_name = a.str("name");
    return kOk;
  });
  sys.add("undo ike local-name", [](CommandContext& c, const Args&) -> Result {
    c.config().ike_local_name.clear();
    return kOk;
  });

  CommandTree& peer = e.tree(View::IkePeer);
  peer.add("pre-shared-key {text:key}", [](CommandContext& c, const Args& a) -> Result {
    const std::string& key = a.str("key");
    config::IkePeer& p = current_peer(c);
    if (config::is_cipher_text(key)) {
      if (auto clear = config::open_secret(key)) {
        p.pre_shared_key = *clear;
        p.foreign_psk.clear();
      } else {
        // Another device's cipher text: kept as it is, so that the file prints back whole, but
        // it cannot be used here (its key is that device's).
        p.foreign_psk = key;
        p.pre_shared_key.clear();
        c.note_unemulated("pre-shared-key sealed by another device (type the key again to use it)");
      }
      return kOk;
    }
    if (key.size() > 127 || key.find(' ') != std::string::npos)
      return fail(std::string(
          "Error: The pre-shared key is a string of 1 to 127 characters without spaces."));
    p.pre_shared_key = key;  // replaces the old one: never two keys
    p.foreign_psk.clear();
    return kOk;
  });
  peer.add("undo pre-shared-key", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).pre_shared_key.clear();
    current_peer(c).foreign_psk.clear();
    return kOk;
  });
  peer.add("ike-proposal {uint:number:1-99}", [](CommandContext& c, const Args& a) -> Result {
    if (find_named(c.config().ike_proposals, a.str("number")) == nullptr)
      return fail("Error: The IKE proposal " + a.str("number") + " does not exist.");
    current_peer(c).ike_proposal = a.str("number");
    return kOk;
  });
  peer.add("undo ike-proposal", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).ike_proposal.clear();
    return kOk;
  });
  peer.add("remote-address {ip:address}", [](CommandContext& c, const Args& a) -> Result {
    current_peer(c).remote_address = a.ip("address");
    return kOk;
  });
  peer.add("remote-address authentication-address {ip:address}",
           [](CommandContext& c, const Args& a) -> Result {
             current_peer(c).authentication_address = a.ip("address");
             return kOk;
           });
  peer.add("undo remote-address", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).remote_address.reset();
    return kOk;
  });
  peer.add(std::string("remote-id-type ( ") + kIdTypes + " )",
           [](CommandContext& c, const Args& a) -> Result {
             for (const auto word : config::kIdTypeWords) {
               if (!word.empty() && a.has(std::string(word)))
                 current_peer(c).remote_id_type = *config::parse_IdType(word);
             }
             current_peer(c).remote_id_inline = false;
             return kOk;
           });
  // V500R005 also takes the peer's address on the same line, and saves it so.
  peer.add("remote-id-type ip {ip:id}", [](CommandContext& c, const Args& a) -> Result {
    config::IkePeer& p = current_peer(c);
    p.remote_id_type = config::IdType::Ip;
    p.remote_id = a.str("id");
    p.remote_id_inline = true;
    return kOk;
  });
  peer.add(std::string("local-id-type ( ") + kIdTypes + " )",
           [](CommandContext& c, const Args& a) -> Result {
             for (const auto word : config::kIdTypeWords) {
               if (!word.empty() && a.has(std::string(word)))
                 current_peer(c).local_id_type = *config::parse_IdType(word);
             }
             return kOk;
           });
  peer.add("remote-id {word:id}", [](CommandContext& c, const Args& a) -> Result {
    current_peer(c).remote_id = a.str("id");
    current_peer(c).remote_id_inline = false;
    return kOk;
  });
  peer.add("undo remote-id", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).remote_id.clear();
    return kOk;
  });
  peer.add("local-id {word:id}", [](CommandContext& c, const Args& a) -> Result {
    current_peer(c).local_id = a.str("id");
    return kOk;
  });
  peer.add(
      "exchange-mode ( main | aggressive | auto )", [](CommandContext& c, const Args& a) -> Result {
        current_peer(c).exchange_mode = a.has("main")         ? config::ExchangeMode::Main
                                        : a.has("aggressive") ? config::ExchangeMode::Aggressive
                                                              : config::ExchangeMode::Auto;
        return kOk;
      });
  peer.add("undo version ( 1 | 2 )", [](CommandContext& c, const Args& a) -> Result {
    config::IkePeer& p = current_peer(c);
    (a.has("1") ? p.version1 : p.version2) = false;
    if (!p.version1 && !p.version2) {
      (a.has("1") ? p.version1 : p.version2) = true;
      return fail("Error: IKEv1 and IKEv2 cannot both be disabled.");
    }
    return kOk;
  });
  peer.add("version ( 1 | 2 )", [](CommandContext& c, const Args& a) -> Result {
    (a.has("1") ? current_peer(c).version1 : current_peer(c).version2) = true;
    return kOk;
  });
  peer.add("nat traversal", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).nat_traversal = true;
    return kOk;
  });
  peer.add("undo nat traversal", [](CommandContext& c, const Args&) -> Result {
    current_peer(c).nat_traversal = false;
    return kOk;
  });
  for (const char* kw : {"dpd", "ipsec-sa", "sa binding", "certificate", "pki", "rsa",
                         "lifetime-notification-message", "service-scheme", "aaa", "ip-pool",
                         "config-exchange", "sa soft-duration", "inband"}) {
    peer.add(
        std::string(kw) + " [ {text:rest} ]",
        [kw = std::string(kw)](CommandContext& c, const Args& a) -> Result {
          current_peer(c).opaque.push_back(" " + kw +
                                           (a.str("rest").empty() ? "" : " " + a.str("rest")));
          c.note_unemulated(kw);
          return kOk;
        },
        CommandKind::Unemulated);
  }

  // The running device's IKE: reset its SAs, and debug its failures on the terminal.
  for (View v : {View::User, View::System}) {
    e.tree(v).add("reset ike sa", [](CommandContext& c, const Args&) -> Result {
      if (c.device() == nullptr) return fail("Error: No device is running.");
      c.device()->ike_reset(false);
      return kOk;
    });
    e.tree(v).add("reset ipsec sa", [](CommandContext& c, const Args&) -> Result {
      if (c.device() == nullptr) return fail("Error: No device is running.");
      c.device()->ike_reset(true);
      return kOk;
    });
  }
  CommandTree& user = e.tree(View::User);
  // debugging ikev1|ikev2|ipsec error|all: the switch for that kind of debugging line.
  auto debug_switch = [](CommandContext& c, const Args& a) -> bool& {
    IkeLink& ike = c.device()->ike();
    if (a.has("ikev1")) return ike.debug_ikev1_error;
    if (a.has("ikev2")) return ike.debug_ikev2_error;
    return ike.debug_ipsec_error;
  };
  user.add("debugging ( ikev1 | ikev2 | ipsec ) ( error | all )",
           [debug_switch](CommandContext& c, const Args& a) -> Result {
             if (c.device() == nullptr) return fail("Error: No device is running.");
             debug_switch(c, a) = true;
             return kOk;
           });
  user.add("undo debugging ( ikev1 | ikev2 | ipsec ) ( error | all )",
           [debug_switch](CommandContext& c, const Args& a) -> Result {
             if (c.device() == nullptr) return fail("Error: No device is running.");
             debug_switch(c, a) = false;
             return kOk;
           });
  user.add("undo debugging all", [](CommandContext& c, const Args&) -> Result {
    if (c.device() == nullptr) return fail("Error: No device is running.");
    c.device()->ike().debug_ikev1_error = false;
    c.device()->ike().debug_ikev2_error = false;
    c.device()->ike().debug_ipsec_error = false;
    return kOk;
  });
  // The debugging lines go to the terminal already (vfw run prints them there): accepted.
  user.add("terminal ( debugging | monitor )",
           [](CommandContext&, const Args&) -> Result { return kOk; });
}

}  // namespace vfw::cli
