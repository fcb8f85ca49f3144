#include "diagnose/negotiation_forecast.hpp"

#include <algorithm>
#include <sstream>

#include "config/render.hpp"
#include "config/secret.hpp"
#include "device/ike_link.hpp"
#include "ike/proposals.hpp"

namespace vfw::diagnose {
namespace {

// ts lies inside outer (IKEv1's quick mode: a responder takes the initiator's flow only whole).
bool within(const ike::TrafficSelector& ts, const ike::TrafficSelector& outer) {
  return (outer.ip_protocol == 0 || outer.ip_protocol == ts.ip_protocol) &&
         ts.start.v >= outer.start.v && ts.end.v <= outer.end.v &&
         ts.start_port >= outer.start_port && ts.end_port <= outer.end_port;
}

template <typename T>
bool meet(const std::vector<T*>& a, const std::vector<T*>& b) {
  return std::any_of(a.begin(), a.end(),
                     [&](T* x) { return std::find(b.begin(), b.end(), x) != b.end(); });
}

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

std::string selector_text(const ike::TrafficSelector& t) {
  return to_string(t.start) + "-" + to_string(t.end);
}

// "10.1.1.0 0.0.0.255" for a selector that is a prefix, as an ACL rule writes it.
std::string acl_address(const ike::TrafficSelector& t) {
  const uint32_t wild = t.end.v - t.start.v;
  if (wild == 0xffffffffU) return "any";
  return to_string(t.start) + " " + (wild == 0 ? std::string("0") : to_string(Ipv4{wild}));
}

// The device's id type for an identity as carried (remote-id-type's keyword).
config::IdType id_type_keyword(const ike::Identification& id) {
  switch (id.type) {
    case ike::id_type::kIpv4Address:
      return config::IdType::Ip;
    case ike::id_type::kRfc822Address:
      return config::IdType::UserFqdn;
    case ike::id_type::kDerAsn1Dn:
      return config::IdType::Dn;
    default:
      return config::IdType::Fqdn;
  }
}

// "fqdn fw9", "ip 2.1.1.1": an identity with its type, since two of the same text and different
// types do not match.
std::string id_words(const ike::Identification& id) {
  return std::string(config::keyword(id_type_keyword(id))) + " " + id.text();
}

// The view of an ipsec policy entry, as typed to enter it.
std::string policy_view(const config::IpsecPolicy& p) {
  if (p.is_template) return "ipsec policy-template " + p.name + " " + std::to_string(p.seq);
  return "ipsec policy " + p.name + " " + std::to_string(p.seq) +
         (p.manual ? " manual" : " isakmp");
}

struct Engines {
  ike::EngineConfig initiator;
  ike::EngineConfig responder;
};

}  // namespace

NegotiationForecast forecast_negotiation(const TunnelSide& in, const TunnelSide& re) {
  NegotiationForecast f;
  const config::Config& icfg = *in.config;
  const config::Config& rcfg = *re.config;
  const config::IkePeer* ipeer_cfg = icfg.find_ike_peer(in.entry->ike_peer);
  auto fail = [&](std::optional<ike::Failure> reason, const std::string& found_by,
                  std::string detail, const std::string& fix_on, std::vector<std::string> fix) {
    f.reason = reason;
    f.found_by = found_by;
    f.detail = std::move(detail);
    f.fix_on = fix_on;
    f.fix = std::move(fix);
    return f;
  };
  if (ipeer_cfg == nullptr) {
    f.starts = false;
    f.detail = in.label + ": ipsec policy " + in.entry->name + " " + std::to_string(in.entry->seq) +
               " names ike-peer " + in.entry->ike_peer + ", which does not exist";
    return f;
  }
  f.version = ipeer_cfg->version2 ? 2 : 1;
  if (!ipeer_cfg->remote_address) {
    f.starts = false;
    return fail(std::nullopt, in.label,
                in.label + "'s ike peer " + ipeer_cfg->name +
                    " has no remote-address: it answers but never starts a negotiation",
                in.label,
                {"system-view", "ike peer " + ipeer_cfg->name,
                 " remote-address " + to_string(re.address), "return"});
  }
  // The responder's peers that answer the initiator's address.
  std::vector<const config::IkePeer*> answering;
  for (const auto& p : rcfg.ike_peers) {
    if (p.remote_address ? *p.remote_address == in.address : false) answering.push_back(&p);
  }
  const config::IkePeer* rpeer_named = rcfg.find_ike_peer(re.entry->ike_peer);
  const bool template_answers = re.entry->is_template || !re.entry->template_name.empty();
  if (answering.empty() && rpeer_named != nullptr && template_answers &&
      !rpeer_named->remote_address)
    answering.push_back(rpeer_named);
  if (answering.empty()) {
    std::vector<std::string> fix;
    if (rpeer_named != nullptr)
      fix = {"system-view", "ike peer " + rpeer_named->name,
             " remote-address " + to_string(in.address), "return"};
    return fail(ike::Failure::PeerAddressMismatch, re.label,
                re.label + " has no ike peer with remote-address " + to_string(in.address) +
                    " (the address " + in.label + " negotiates from)",
                re.label, fix);
  }
  const auto speaks = [&](const config::IkePeer* p) {
    return f.version == 2 ? p->version2 : p->version1;
  };
  const auto chosen = std::find_if(answering.begin(), answering.end(), speaks);
  if (chosen == answering.end()) {
    const config::IkePeer* p = answering.front();
    return fail(
        ike::Failure::VersionMismatch, re.label,
        in.label + " starts with IKEv" + std::to_string(f.version) + "; " + re.label +
            "'s ike peer " + p->name + " does not speak it",
        re.label,
        {"system-view", "ike peer " + p->name, " version " + std::to_string(f.version), "return"});
  }
  const config::IkePeer& rpeer_cfg = **chosen;

  // The engines' view of both: proposals as objects, identities as carried, selectors.
  std::vector<std::string> problems;
  Engines e{ike_engine_config(icfg, problems), ike_engine_config(rcfg, problems)};
  auto find_peer = [](const ike::EngineConfig& c, const std::string& name) {
    for (size_t i = 0; i < c.peers.size(); ++i) {
      if (c.peers[i].name == name) return static_cast<int>(i);
    }
    return -1;
  };
  if (ipeer_cfg->pre_shared_key.empty() || rpeer_cfg.pre_shared_key.empty()) {
    f.undecidable = true;
    f.detail = "the pre-shared key of " +
               (ipeer_cfg->pre_shared_key.empty() ? in.label + "'s ike peer " + ipeer_cfg->name
                                                  : re.label + "'s ike peer " + rpeer_cfg.name) +
               " is sealed by another device (or missing): type it again to compare";
    return f;
  }
  const ike::ChildConfig* ichild = nullptr;
  for (const auto& c : e.initiator.children) {
    if (c.policy == in.entry->name && c.seq == in.entry->seq && !c.responder_only) ichild = &c;
  }
  const int ip_index = find_peer(e.initiator, ipeer_cfg->name);
  const int rp_index = find_peer(e.responder, rpeer_cfg.name);
  if (ichild == nullptr || ip_index < 0 || rp_index < 0) {
    f.undecidable = true;
    for (const auto& p : problems) f.detail += (f.detail.empty() ? "" : "; ") + p;
    return f;
  }
  const ike::PeerConfig& ip = e.initiator.peers[static_cast<size_t>(ip_index)];
  const ike::PeerConfig& rp = e.responder.peers[static_cast<size_t>(rp_index)];

  // Phase 1: the responder takes one of the initiator's IKE proposals, or none.
  const config::IkeProposal iprop = icfg.ike_proposal_of(*ipeer_cfg);
  const config::IkeProposal rprop = rcfg.ike_proposal_of(rpeer_cfg);
  bool phase1 = false;
  if (f.version == 2) {
    const uint16_t group =
        ip.proposals.empty() || ip.proposals[0].dh.empty() ? 0 : ip.proposals[0].dh[0]->number;
    phase1 = ike::choose_ike(ike::ike_proposals(ip), rp, group).has_value();
  } else {
    for (const auto& a : ip.proposals) {
      for (const auto& b : rp.proposals) {
        phase1 = phase1 || (meet(a.v1_encryption, b.v1_encryption) && meet(a.v1_hash, b.v1_hash) &&
                            meet(a.dh, b.dh));
      }
    }
  }
  if (!phase1) {
    std::vector<std::string> fix = {"system-view", "ike proposal " + rprop.name};
    auto differs = [&](const std::string& keyword, const std::vector<std::string>& mine,
                       const std::vector<std::string>& theirs) {
      const bool common = std::any_of(mine.begin(), mine.end(), [&](const std::string& k) {
        return std::find(theirs.begin(), theirs.end(), k) != theirs.end();
      });
      if (!common) fix.push_back(" " + keyword + " " + joined(mine));
    };
    differs("encryption-algorithm", iprop.encryption, rprop.encryption);
    differs("dh", iprop.dh, rprop.dh);
    if (f.version == 2) {
      differs("integrity-algorithm", iprop.integrity, rprop.integrity);
      differs("prf", iprop.prf, rprop.prf);
    } else {
      differs("authentication-algorithm", iprop.authentication, rprop.authentication);
    }
    fix.emplace_back("return");
    const std::string ib =
        f.version == 2 ? "integrity " + joined(iprop.integrity) + ", prf " + joined(iprop.prf)
                       : "authentication " + joined(iprop.authentication);
    const std::string rb =
        f.version == 2 ? "integrity " + joined(rprop.integrity) + ", prf " + joined(rprop.prf)
                       : "authentication " + joined(rprop.authentication);
    return fail(ike::Failure::Phase1ProposalMismatch, re.label,
                in.label + "'s ike proposal " + iprop.name + " (encryption " +
                    joined(iprop.encryption) + ", " + ib + ", dh " + joined(iprop.dh) + ") and " +
                    re.label + "'s ike proposal " + rprop.name + " (encryption " +
                    joined(rprop.encryption) + ", " + rb + ", dh " + joined(rprop.dh) +
                    ") have no suite in common",
                re.label, fix);
  }

  // Identities and the key, in the order the exchanges check them.
  const bool key_differs = ip.pre_shared_key != rp.pre_shared_key;
  const bool responder_id_ok = !rp.remote_id || *rp.remote_id == ip.local_id;
  const bool initiator_id_ok = !ip.remote_id || *ip.remote_id == rp.local_id;
  auto key_fail = [&](ike::Failure reason) {
    return fail(reason, re.label,
                "the pre-shared keys of " + in.label + "'s ike peer " + ipeer_cfg->name + " and " +
                    re.label + "'s ike peer " + rpeer_cfg.name +
                    " differ (compared here, printed nowhere)",
                re.label,
                // The initiator's key in the device's cipher form: typed as printed, it reveals
                // nothing (config/secret.hpp).
                {"system-view", "ike peer " + rpeer_cfg.name,
                 " pre-shared-key " + config::seal_secret(ipeer_cfg->pre_shared_key), "return"});
  };
  auto id_fail = [&](bool at_responder) {
    const TunnelSide& checker = at_responder ? re : in;
    const TunnelSide& other = at_responder ? in : re;
    const ike::PeerConfig& cp = at_responder ? rp : ip;
    const ike::PeerConfig& op = at_responder ? ip : rp;
    const std::string name = at_responder ? rpeer_cfg.name : ipeer_cfg->name;
    // The type is part of the identity: both are fixed, whichever differs.
    return fail(ike::Failure::ConfigIdMismatch, checker.label,
                checker.label + "'s ike peer " + name + " expects remote-id " +
                    id_words(*cp.remote_id) + "; " + other.label + " identifies itself as " +
                    id_words(op.local_id),
                checker.label,
                {"system-view", "ike peer " + name,
                 " remote-id-type " + std::string(config::keyword(id_type_keyword(op.local_id))),
                 " remote-id " + op.local_id.text(), "return"});
  };
  if (f.version == 2) {
    if (!responder_id_ok) return id_fail(true);
    if (key_differs) return key_fail(ike::Failure::AuthenticationFail);
    if (!initiator_id_ok) return id_fail(false);
  } else if (ip.aggressive) {
    if (!responder_id_ok) return id_fail(true);
    if (key_differs) return key_fail(ike::Failure::AuthenticationFail);
    if (!initiator_id_ok) return id_fail(false);
  } else {
    // Main mode: a wrong key garbles the encrypted fifth message before any identity is read.
    if (key_differs) return key_fail(ike::Failure::MalformedPayload);
    if (!responder_id_ok) return id_fail(true);
    if (!initiator_id_ok) return id_fail(false);
  }

  // The CHILD SA (IKEv2's IKE_AUTH, IKEv1's quick mode): the flows, then the proposal.
  bool flows = false;
  bool proposal = false;
  const ike::ChildConfig* rchild = nullptr;
  for (const auto& c : e.responder.children) {
    if (c.peer != static_cast<size_t>(rp_index)) continue;
    bool meets = false;
    if (f.version == 2) {
      meets = !ike::intersect(ichild->local_ts, c.remote_ts).empty() &&
              !ike::intersect(ichild->remote_ts, c.local_ts).empty();
    } else if (!ichild->local_ts.empty()) {
      for (size_t k = 0; k < c.local_ts.size(); ++k) {
        meets = meets || (within(ichild->local_ts[0], c.remote_ts[k]) &&
                          within(ichild->remote_ts[0], c.local_ts[k]));
      }
    }
    if (!meets) continue;
    flows = true;
    if (rchild == nullptr) rchild = &c;
    bool same = c.tunnel == ichild->tunnel && c.protocol == ichild->protocol;
    if (f.version == 2) {
      uint32_t peer_spi = 0;
      same =
          same && ike::choose_child({ike::child_proposal(*ichild, 1, false)}, c, 2, false, peer_spi)
                      .has_value();
    } else {
      same = same && c.encryption == ichild->encryption &&
             c.authentication == ichild->authentication && c.pfs == ichild->pfs;
    }
    if (same) {
      proposal = true;
      rchild = &c;
      break;
    }
  }
  const config::IpsecPolicy* rentry = re.entry;
  if (!flows) {
    std::vector<std::string> fix = {"system-view"};
    if (rentry->acl) {
      fix.push_back("acl number " + std::to_string(*rentry->acl));
      fix.push_back(" rule permit ip source " + acl_address(ichild->remote_ts.front()) +
                    " destination " + acl_address(ichild->local_ts.front()));
    }
    fix.emplace_back("return");
    std::string theirs;
    for (const auto& c : e.responder.children) {
      if (c.peer != static_cast<size_t>(rp_index)) continue;
      for (size_t k = 0; k < c.local_ts.size(); ++k)
        theirs += (theirs.empty() ? "" : ", ") + selector_text(c.local_ts[k]) + " to " +
                  selector_text(c.remote_ts[k]);
    }
    return fail(ike::Failure::FlowMismatch, re.label,
                in.label + " proposes " + selector_text(ichild->local_ts.front()) + " to " +
                    selector_text(ichild->remote_ts.front()) + "; " + re.label +
                    "'s ACL protects " + (theirs.empty() ? std::string("nothing") : theirs) +
                    ": the two ACLs must mirror each other",
                re.label, fix);
  }
  const config::IpsecProposal* iprop2 = nullptr;
  for (const auto& p : icfg.ipsec_proposals) {
    if (p.name == in.entry->proposal) iprop2 = &p;
  }
  const config::IpsecPolicy* rpolicy = rentry;
  if (rchild != nullptr) {
    for (const auto& p : rcfg.ipsec_policies) {
      if (p.name == rchild->policy && p.seq == rchild->seq) rpolicy = &p;
    }
  }
  if (!proposal) {
    std::vector<std::string> fix = {"system-view"};
    const bool pfs_differs = rchild != nullptr && rchild->pfs != ichild->pfs;
    if (pfs_differs) {
      fix.push_back(policy_view(*rpolicy));
      fix.push_back(in.entry->pfs.empty() ? " undo pfs" : " pfs " + in.entry->pfs);
    } else if (iprop2 != nullptr) {
      std::istringstream lines(config::render_ipsec_proposal(*iprop2));
      std::string line;
      std::getline(lines, line);
      fix.push_back("ipsec proposal " + rpolicy->proposal);
      while (std::getline(lines, line)) fix.push_back(line);
    }
    fix.emplace_back("return");
    const std::string what =
        pfs_differs
            ? "PFS differs (" + in.label + ": " +
                  (in.entry->pfs.empty() ? std::string("none") : in.entry->pfs) + ", " + re.label +
                  ": " + (rpolicy->pfs.empty() ? std::string("none") : rpolicy->pfs) + ")"
            : in.label + "'s ipsec proposal " + in.entry->proposal + " and " + re.label +
                  "'s ipsec proposal " + rpolicy->proposal +
                  " differ in transform, encapsulation mode or algorithms";
    return fail(ike::Failure::Phase2ProposalOrPfsMismatch, re.label, what, re.label, fix);
  }
  if (f.version == 2 && rchild != nullptr && rchild->pfs != ichild->pfs) {
    // IKE_AUTH carries no key exchange, so the first CHILD SA comes up; its first rekey
    // (CREATE_CHILD_SA, with or without KE) is where the PFS settings must agree.
    return fail(ike::Failure::Phase2ProposalOrPfsMismatch, re.label,
                "PFS differs (" + in.label + ": " +
                    (in.entry->pfs.empty() ? std::string("none") : in.entry->pfs) + ", " +
                    re.label + ": " + (rpolicy->pfs.empty() ? std::string("none") : rpolicy->pfs) +
                    "): the first CHILD SA comes up (IKE_AUTH carries no key exchange), but its "
                    "first rekey (CREATE_CHILD_SA) fails with phase2 proposal or pfs mismatch",
                re.label,
                {"system-view", policy_view(*rpolicy),
                 in.entry->pfs.empty() ? " undo pfs" : " pfs " + in.entry->pfs, "return"});
  }
  return f;
}

}  // namespace vfw::diagnose
