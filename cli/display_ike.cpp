// display ike sa, display ike proposal, display ike peer, display ike error-info: the USG6000V1
// layouts of shared/reference/display-samples/01 and 07 where a capture exists
// (docs/display-formats.md says which are modelled on a sibling command instead).
#include <algorithm>

#include "cli/display_formats.hpp"
#include "ike/ike_algorithms.hpp"

namespace vfw::cli {
namespace {

std::string pad(std::string s, size_t width) {
  if (s.size() < width) s.resize(width, ' ');
  return s;
}

std::string rule(size_t n) {
  return std::string(n, '-') + "\n";
}

std::string id_type(const ike::Identification& id) {
  switch (id.type) {
    case ike::id_type::kIpv4Address:
      return "IP";
    case ike::id_type::kFqdn:
      return "FQDN";
    case ike::id_type::kRfc822Address:
      return "USER-FQDN";
    case ike::id_type::kDerAsn1Dn:
      return "DN";
    default:
      return "ID" + std::to_string(id.type);
  }
}

std::string upper(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return s;
}

// An ID type as the displays print it: "IP" when none was typed.
std::string id_type_shown(config::IdType type) {
  return type == config::IdType::Unset ? "IP" : upper(std::string(config::keyword(type)));
}

// "aes-256" -> the display name the device prints ("AES-256"); group14 -> "MODP-2048".
std::string shown_algorithms(const std::vector<std::string>& keywords, char kind) {
  std::string out;
  for (const auto& k : keywords) {
    std::string name = upper(k);
    if (kind == 'd') {
      if (const auto* g = ike::find_dh_group(k)) name = std::string(g->display);
    }
    out += name + " ";
  }
  return out;
}

struct SaRow {
  uint32_t conn_id;
  std::string line;
};

// The rows of one IKE SA (IKEv2) or ISAKMP SA (IKEv1) and of the IPsec SAs it made: phase 1
// ("v2:1", "v1:1") and phase 2 ("v2:2", "v1:2"). RD: ready; ST: this side started it
// (stay-alive); A: alone (no hot standby). A negotiation under way has no flag yet, as the seed
// says of one that fails.
template <typename Sa>
void add_sa_rows(std::vector<SaRow>& rows, const Sa& sa, bool up, char version) {
  const std::string peer = to_string(sa.remote.address) + ":" + std::to_string(sa.remote.port);
  const std::string flags = up ? (sa.initiator ? "RD|ST|A" : "RD|A") : "";
  const std::string type = up ? id_type(sa.peer_id) : "";
  const std::string id = up ? sa.peer_id.text() : "";
  auto line = [&](uint32_t conn, char phase) {
    const std::string shown = std::string("v") + version + ":" + phase;
    return " " + pad(std::to_string(conn), 11) + pad(peer, 46) + pad("", 17) + pad(flags, 22) +
           pad(shown, 7) + pad(type, 12) + pad(id, 16) + "\n";
  };
  rows.push_back({sa.conn_id, line(sa.conn_id, '1')});
  for (const auto& c : sa.children) rows.push_back({c.conn_id, line(c.conn_id, '2')});
}

}  // namespace

std::string display_ike_sa(const Device& d) {
  // Both versions' SAs, the newest connection first.
  std::vector<SaRow> rows;
  for (const auto& sa : d.ike().engine().sas())
    add_sa_rows(rows, *sa, sa->state == ike::IkeSaState::Established, '2');
  for (const auto& sa : d.ike().engine_v1().sas()) add_sa_rows(rows, *sa, sa->established(), '1');
  std::sort(rows.begin(), rows.end(),
            [](const SaRow& a, const SaRow& b) { return a.conn_id > b.conn_id; });
  std::string o = d.timestamp() + "\n\nIKE SA information :\n";
  o += " Conn-ID    Peer                                          VPN              Flag(s)         "
       "      "
       "Phase  RemoteType  RemoteID        \n";
  o += rule(132);
  for (const auto& r : rows) o += r.line;
  o += "\n  Number of IKE SA : " + std::to_string(rows.size()) + "\n";
  o += rule(132);
  o += "\n Flag Description:\n"
       " RD--READY   ST--STAYALIVE   RL--REPLACED   FD--FADING   TO--TIMEOUT\n"
       " HRT--HEARTBEAT   LKG--LAST KNOWN GOOD SEQ NO.   BCK--BACKED UP\n"
       " M--ACTIVE   S--STANDBY   A--ALONE  NEG--NEGOTIATING\n";
  return o;
}

std::string display_ike_proposal(const Device& d, const std::string& only) {
  std::vector<config::IkeProposal> list;
  for (const auto& p : d.config().ike_proposals) {
    if (p.name != "default") list.push_back(p);
  }
  // The default proposal, last: the one a peer without ike-proposal uses.
  bool has_default = false;
  for (const auto& p : d.config().ike_proposals) {
    if (p.name == "default") {
      list.push_back(p);
      has_default = true;
    }
  }
  if (!has_default) list.push_back(config::IkeProposal::builtin_default());
  if (!only.empty()) {
    std::erase_if(list, [&](const auto& p) { return p.name != only; });
    if (list.empty()) return "Error: The IKE proposal does not exist.\n";
  }
  std::string o =
      d.timestamp() + "\n\nNumber of IKE Proposals: " + std::to_string(list.size()) + "\n\n";
  for (const auto& p : list) {
    auto field = [&](const char* label, const std::string& value) {
      o += "   " + pad(label, 27) + ": " + value + "\n";
    };
    o += rule(43);
    o += " IKE Proposal: " + std::string(p.name == "default" ? "Default" : p.name) + "\n";
    field("Authentication Method",
          p.authentication_method == config::AuthenticationMethod::PreShare
              ? "PRE_SHARED "
              : upper(std::string(config::keyword(p.authentication_method))) + " ");
    field("Authentication Algorithm", shown_algorithms(p.authentication, 'a'));
    field("Encryption Algorithm", shown_algorithms(p.encryption, 'e'));
    field("Diffie-Hellman Group", shown_algorithms(p.dh, 'd'));
    field("SA Duration(Seconds)", std::to_string(p.duration) + " ");
    field("Integrity Algorithm", shown_algorithms(p.integrity, 'i'));
    field("Prf Algorithm", shown_algorithms(p.prf, 'p'));
  }
  o += rule(43);
  return o;
}

std::string display_ike_peer_brief(const Device& d) {
  const auto& peers = d.config().ike_peers;
  std::string o =
      d.timestamp() + "\nCurrent ike peer number: " + std::to_string(peers.size()) + "\n";
  o += rule(75);
  o += "Peer name        Version  Exchange-mode   Proposal   Id-type   RemoteAddr\n";
  o += rule(75);
  for (const auto& p : peers) {
    const std::string version = p.version1 && p.version2 ? "v1v2" : p.version1 ? "v1" : "v2";
    const std::string mode = p.exchange_mode == config::ExchangeMode::Unset
                                 ? "main"
                                 : std::string(config::keyword(p.exchange_mode));
    const std::string id = id_type_shown(p.local_id_type);
    o += pad(p.name, 17) + pad(version, 9) + pad(mode, 16) +
         pad(p.ike_proposal.empty() ? "default" : p.ike_proposal, 11) + pad(id, 10) +
         (p.remote_address ? to_string(*p.remote_address) : "0.0.0.0") + "\n";
  }
  return o;
}

std::string display_ike_error_info(const Device& d) {
  const auto& records = d.ike().error_info();
  std::string o =
      d.timestamp() + "\n\n  Current info Num :" + std::to_string(records.size()) + " \n";
  o += "  Ike error information:\n";
  o += rule(100);
  o +=
      "  peer               port    error-reason                          version     error-time\n";
  o += rule(100);
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    const auto& r = it->record;
    // "2026-11-29 08:51:58.299 " -> "2026/11/29  08:51:58", as offline-info prints its times.
    std::string when = it->time.substr(0, 19);
    if (when.size() == 19) {
      when[4] = '/';
      when[7] = '/';
      when.insert(10, " ");
    }
    o += "  " + pad(to_string(r.peer), 19) + pad(std::to_string(r.peer_port), 8) +
         pad(std::string(ike::failure_words(r.reason)), 38) +
         pad(r.version == 1 ? "v1" : "v2", 12) + when + "\n";
  }
  o += rule(100);
  return o;
}

}  // namespace vfw::cli

namespace vfw::cli {
namespace {

std::string auth_name(const std::string& keyword) {
  if (keyword == "md5") return "MD5-HMAC-96";
  if (keyword == "sha1") return "SHA1-HMAC-96";
  if (keyword.rfind("sha2-", 0) == 0) return "SHA2-HMAC-" + keyword.substr(5);
  return upper(keyword);
}

std::string proposal_block(const config::IpsecProposal& p) {
  using T = config::IpsecProposal::Transform;
  std::string o = "IPSec proposal name: " + p.name + "\n";
  o += std::string(" Encapsulation mode: ") +
       (p.auto_mode ? "Auto"
        : p.tunnel  ? "Tunnel"
                    : "Transport") +
       "\n";
  o += std::string(" Transform         : ") +
       (p.transform == T::Esp  ? "esp-new"
        : p.transform == T::Ah ? "ah-new"
                               : "ah-esp-new") +
       "\n";
  if (p.transform != T::Esp)
    o += " AH protocol       : Authentication " + auth_name(p.ah_authentication) + " \n";
  if (p.transform != T::Ah) {
    o += " ESP protocol      : Authentication " + auth_name(p.esp_authentication) + " \n";
    o += "                     Encryption " + upper(p.esp_encryption) + " \n";
  }
  return o;
}

}  // namespace

std::string display_ipsec_proposal(const Device& d, const std::string& only) {
  std::string o;
  for (const auto& p : d.config().ipsec_proposals) {
    if (!only.empty() && p.name != only) continue;
    if (!o.empty()) o += "\n";
    o += proposal_block(p);
  }
  if (o.empty() && !only.empty()) return "Error: The IPSec proposal does not exist.\n";
  return o;
}

std::string display_ipsec_policy(const Device& d, const std::string& only) {
  const config::Config& cfg = d.config();
  std::string o;
  std::string group;
  for (const auto& p : cfg.ipsec_policies) {
    if (!only.empty() && p.name != only) continue;
    if (p.name != group) {
      group = p.name;
      std::string interface = "none";
      for (const auto& [name, ifc] : cfg.interfaces) {
        if (ifc.ipsec_policy == p.name) interface = name;
      }
      o += "\n===========================================\n";
      o += "IPSec policy group: \"" + p.name + "\"\n";
      o += "Using interface: " + interface + "\n";
      o += "===========================================\n";
    }
    const config::IpsecPolicy& e =
        p.template_name.empty() ? p : [&]() -> const config::IpsecPolicy& {
      for (const auto& t : cfg.ipsec_templates) {
        if (t.name == p.template_name) return t;
      }
      return p;
    }();
    auto field = [&](const std::string& label, const std::string& value) {
      o += "    " + label + ": " + value + "\n";
    };
    o += "\n";
    field("Sequence number", std::to_string(p.seq));
    field("Policy mode", p.manual                  ? "Manual"
                         : p.template_name.empty() ? "ISAKMP"
                                                   : "Template " + p.template_name);
    field("Security data flow", e.acl ? std::to_string(*e.acl) : "none");
    if (!p.manual) field("Peer name", e.ike_peer.empty() ? "none" : e.ike_peer);
    field("Perfect forward secrecy", e.pfs.empty() ? "None" : upper(e.pfs));
    field("Proposal name", e.proposal.empty() ? "none" : e.proposal);
    field("IPSec SA local duration(time based)",
          std::to_string(e.duration_time.value_or(3600)) + " seconds");
    field("IPSec SA local duration(traffic based)",
          std::to_string(e.duration_traffic.value_or(10485760)) + " kilobytes");
    const bool auto_mode =
        e.trigger_mode == config::TriggerMode::Auto ||
        std::any_of(cfg.interfaces.begin(), cfg.interfaces.end(), [&](const auto& kv) {
          return kv.second.ipsec_policy == p.name && kv.second.ipsec_auto_neg;
        });
    if (!p.manual) field("SA trigger mode", auto_mode ? "Automatic" : "Traffic-based");
    if (p.tunnel_remote) field("Tunnel remote address", to_string(*p.tunnel_remote));
  }
  if (o.empty() && !only.empty()) return "Error: The IPSec policy does not exist.\n";
  return o;
}

// display ipsec policy brief: a line per policy entry. No USG capture of it has been published;
// the layout is VRP's as Huawei's NE40E V800R012C10 command reference prints it (columns of 19,
// 9, 5, 17 and 16 characters between two lines of 83 dashes, the entry named NAME-SEQ), which
// the USG's VRP shares with its other IPSec displays.
std::string display_ipsec_policy_brief(const Device& d) {
  const config::Config& cfg = d.config();
  const std::string dashes(83, '-');
  std::string rows;
  for (const auto& p : cfg.ipsec_policies) {
    const config::IpsecPolicy* e = &p;
    for (const auto& t : cfg.ipsec_templates) {
      if (!p.template_name.empty() && t.name == p.template_name) e = &t;
    }
    std::string local = p.tunnel_local ? to_string(*p.tunnel_local) : "";
    for (const auto& [name, ifc] : cfg.interfaces) {
      if (local.empty() && ifc.ipsec_policy == p.name && ifc.address)
        local = to_string(ifc.address->host);
    }
    std::string remote = p.tunnel_remote ? to_string(*p.tunnel_remote) : "";
    const config::IkePeer* peer = p.manual ? nullptr : cfg.find_ike_peer(e->ike_peer);
    if (remote.empty() && peer != nullptr && peer->remote_address)
      remote = to_string(*peer->remote_address);
    std::string row = pad(p.name + "-" + std::to_string(p.seq), 19) +
                      pad(p.manual                  ? "manual"
                          : p.template_name.empty() ? "isakmp"
                                                    : "template",
                          9) +
                      pad(e->acl ? std::to_string(*e->acl) : "", 5) +
                      pad(peer != nullptr ? peer->name : "", 17) + pad(local, 16) + remote;
    while (!row.empty() && row.back() == ' ') row.pop_back();
    rows += row + "\n";
  }
  return "current ipsec policy number: " + std::to_string(cfg.ipsec_policies.size()) + " \n" +
         dashes + "\n" +
         pad("IPsec-Policy-Name  Mode     acl  ike-peer         Local-Address   Remote-Address",
             83) +
         "\n" + dashes + "\n" + rows;
}

namespace {

std::string hex64(uint64_t v) {
  return format("%016llx", static_cast<unsigned long long>(v));
}

void verbose_field(std::string& o, const std::string& label, const std::string& value) {
  o += "   " + pad(label, 26) + ": " + value + "\n";
}

// One SA's block: the fields both IKE versions have, around the version's own (middle writes
// them), then its IPsec SAs (child_label: "CHILD SA" for IKEv2, "IPSec SA" for IKEv1).
template <typename Sa, typename Middle>
void verbose_block(std::string& o, const Sa& sa, bool up, const std::vector<ike::PeerConfig>& peers,
                   const char* version, const char* child_label, uint64_t now, Middle middle) {
  o += "-----------------------------------------------\n";
  verbose_field(o, "Connection ID", std::to_string(sa.conn_id));
  verbose_field(o, "Peer", to_string(sa.remote.address) + ":" + std::to_string(sa.remote.port));
  verbose_field(o, "Local", to_string(sa.local.address) + ":" + std::to_string(sa.local.port));
  verbose_field(o, "IKE peer", sa.peer < peers.size() ? peers[sa.peer].name : "-");
  verbose_field(o, "Version", version);
  middle();
  verbose_field(o, "NAT traversal",
                sa.nat_local    ? "local end behind NAT"
                : sa.nat_remote ? "remote end behind NAT"
                                : "no NAT");
  if (up) {
    verbose_field(o, "Remote ID", id_type(sa.peer_id) + " " + sa.peer_id.text());
    const uint64_t age = (now - sa.established_ms) / 1000;
    verbose_field(o, "SA duration (seconds)", std::to_string(sa.lifetime_seconds));
    verbose_field(o, "Remaining time (seconds)",
                  std::to_string(sa.lifetime_seconds > age ? sa.lifetime_seconds - age : 0));
  }
  for (const auto& c : sa.children) {
    o += std::string("   ") + child_label + " " + std::to_string(c.conn_id) + ": " +
         (c.protocol == ike::protocol::kAh ? "AH" : "ESP") + " inbound spi " +
         std::to_string(c.spi_in) + " (" + format("0x%x", c.spi_in) + "), outbound spi " +
         std::to_string(c.spi_out) + " (" + format("0x%x", c.spi_out) + ")\n";
  }
}

}  // namespace

std::string display_ike_sa_verbose(const Device& d) {
  // No capture of this command was found: the fields the device's other verbose displays use, in
  // its "label : value" style, one block per IKE SA with its CHILD SAs.
  std::string o = d.timestamp() + "\n";
  const uint64_t now = d.now_ms();
  for (const auto& sa : d.ike().engine().sas()) {
    const bool up = sa->state == ike::IkeSaState::Established;
    verbose_block(o, *sa, up, d.ike().engine().config().peers, "v2", "CHILD SA", now, [&] {
      verbose_field(o, "Role", sa->initiator ? "initiator" : "responder");
      verbose_field(o, "State", up ? "RD" : "NEG");
      verbose_field(o, "Initiator SPI", hex64(sa->spi_i));
      verbose_field(o, "Responder SPI", hex64(sa->spi_r));
      if (sa->suite.encryption == nullptr) return;
      verbose_field(o, "Encryption algorithm", std::string(sa->suite.encryption->display));
      verbose_field(
          o, "Integrity algorithm",
          sa->suite.integrity != nullptr ? std::string(sa->suite.integrity->display) : "NONE");
      verbose_field(o, "PRF algorithm", std::string(sa->suite.prf->display));
      verbose_field(o, "DH group", std::string(sa->suite.dh->display));
    });
  }
  for (const auto& sa : d.ike().engine_v1().sas()) {
    const bool up = sa->established();
    verbose_block(o, *sa, up, d.ike().engine_v1().config().peers, "v1", "IPSec SA", now, [&] {
      verbose_field(o, "Exchange mode", sa->aggressive ? "aggressive" : "main");
      verbose_field(o, "Role", sa->initiator ? "initiator" : "responder");
      verbose_field(o, "State", up ? "RD" : "NEG");
      verbose_field(o, "Initiator cookie", hex64(sa->cky_i));
      verbose_field(o, "Responder cookie", hex64(sa->cky_r));
      if (sa->cipher != nullptr) {
        verbose_field(o, "Encryption algorithm", std::string(sa->cipher->display));
        verbose_field(o, "Authentication algorithm", std::string(sa->hash->display));
        verbose_field(o, "DH group", std::string(sa->group->display));
      }
      verbose_field(o, "DPD", sa->peer_dpd ? "supported by the peer" : "not supported by the peer");
    });
  }
  o += "-----------------------------------------------\n";
  return o;
}

std::string display_ike_peer(const Device& d, const std::string& name) {
  const config::IkePeer* p = d.config().find_ike_peer(name);
  if (p == nullptr) return "Error: The IKE peer does not exist.\n";
  std::string o = d.timestamp() + "\n";
  auto field = [&](const std::string& label, const std::string& value) {
    o += "  " + pad(label, 24) + ": " + value + "\n";
  };
  o += "------------------------------------------\n";
  field("Peer name", p->name);
  field("Exchange mode", (p->exchange_mode == config::ExchangeMode::Unset
                              ? std::string("main")
                              : std::string(config::keyword(p->exchange_mode))) +
                             " on phase 1");
  field("Pre-shared-key", p->pre_shared_key.empty() && p->foreign_psk.empty() ? "none" : "******");
  field("Proposal", p->ike_proposal.empty() ? "default" : p->ike_proposal);
  field("Local ID type", id_type_shown(p->local_id_type));
  if (!p->local_id.empty()) field("Local ID", p->local_id);
  field("Remote ID type", id_type_shown(p->remote_id_type));
  if (!p->remote_id.empty()) field("Remote ID", p->remote_id);
  field("Peer IP address", p->remote_address ? to_string(*p->remote_address) : "0.0.0.0");
  field("VPN instance", "public");
  field("NAT traversal", p->nat_traversal.value_or(true) ? "enable" : "disable");
  field("IKE version", p->version1 && p->version2 ? "v1 v2" : p->version1 ? "v1" : "v2");
  o += "------------------------------------------\n";
  return o;
}

// display ikev2 statistics error: the IKEv2 negotiations that failed since the device started, by
// the device's reason (shared/reference/display-samples/07 G, a HedEx page: its labels and
// columns, two counters a line where short, the second at column 38). The page's excerpt ends in
// the packet errors' section; the counters vfw has no such failure for print 0, as on the device.
std::string display_ikev2_statistics_error(const Device& d) {
  const IkeLink& ike = d.ike();
  auto n = [&](ike::Failure reason) { return std::to_string(ike.error_count(2, reason)); };
  auto one = [](const std::string& label, const std::string& value) {
    return label + ":" + value + "\n";
  };
  auto two = [](const std::string& a, const std::string& va, const std::string& b,
                const std::string& vb) { return pad(a + ":" + va, 38) + b + ":" + vb + "\n"; };
  const std::string dashes(79, '-');
  std::string o = "\nError statistics:\n" + dashes + "\nConfig error:\n";
  o += one("Version error            ", "0");
  o += one("Peer address can not match with any ike peer config                  ",
           n(ike::Failure::PeerAddressMismatch));
  o += two("Phase1 proposal mismatch ", n(ike::Failure::Phase1ProposalMismatch),
           "Phase2 proposal or pfs mismatch", n(ike::Failure::Phase2ProposalOrPfsMismatch));
  // The requests refused before any SA was made are counted by the engine, not recorded.
  const ike::RefusalCounters& refused = ike.engine().refusals();
  o += two("Responder dh mismatch    ",
           std::to_string(ike.error_count(2, ike::Failure::ResponderDhMismatch) +
                          refused.responder_dh_mismatch),
           "Initiator dh mismatch          ", n(ike::Failure::InitiatorDhMismatch));
  o += one("Flow mismatch            ", n(ike::Failure::FlowMismatch));
  o += one("ID can not match with any ike peer config                            ",
           n(ike::Failure::ConfigIdMismatch));
  o += one("Construct local id fail                                              ", "0");
  o += one("Authentication fail (may be pre-shared-key error)                    ",
           n(ike::Failure::AuthenticationFail));
  o += one("Peer's flow netmask range is too wide                                ", "0");
  o += dashes + "\nPacket or payload error:\n";
  o += one("Invalid length           ", "0");
  o += one("Message-id unordered     ", "0");
  o += one("Unknown exchange type    ", "0");
  o += one("Invalid cookie           ", std::to_string(refused.invalid_cookie));
  o += one("Shortpacket              ", "0");
  o += one("Malformed message        ", n(ike::Failure::MalformedMessage));
  o += one("Malformed payload        ", n(ike::Failure::MalformedPayload));
  o += dashes + "\n";
  return o;
}

}  // namespace vfw::cli
