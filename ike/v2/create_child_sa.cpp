// CREATE_CHILD_SA (RFC 7296 1.3): new and rekeyed CHILD SAs, and the IKE SA's own rekey.
#include "ike/v2/engine.hpp"

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {

using namespace engine_detail;

void Engine::schedule_ike_lifetime(IkeSa& sa, uint64_t now_ms) {
  const uint64_t life = uint64_t{sa.lifetime_seconds} * 1000;
  sa.rekey_at_ms = now_ms + (sa.initiator ? life * 9 / 10 : life * 19 / 20);
  sa.expire_at_ms = now_ms + life;
}

void Engine::start_child_rekey(IkeSa& sa, size_t index, uint64_t now_ms) {
  ChildSa& c = sa.children[index];
  const ChildConfig& cfg = config_.children[c.child];
  c.rekey_at_ms = UINT64_MAX;  // asked once; the hard lifetime ends it if this fails
  PendingCreate& pc = sa.pending;
  pc = PendingCreate{};
  pc.active = true;
  pc.child = c.child;
  pc.old_spi_in = c.spi_in;
  pc.spi_in = random_spi32(*random_);
  pc.ni = random_->bytes(kNonceBytes);
  if (cfg.pfs != nullptr) pc.dh = DhKey::generate(*cfg.pfs, *random_);
  PayloadWriter w;
  w.notify(Notify{c.protocol, spi_bytes32(c.spi_in), notify::kRekeySa, {}});
  if (!cfg.tunnel) w.notify(notify::kUseTransportMode);
  w.sa({child_proposal(cfg, pc.spi_in, true)});
  w.nonce(pc.ni);
  if (pc.dh) w.ke({pc.dh->group().number, pc.dh->public_value()});
  w.ts(payload::kTsi, c.local_ts);
  w.ts(payload::kTsr, c.remote_ts);
  send_protected(sa, exchange::kCreateChildSa, false, sa.next_request_id++, w, now_ms);
}

void Engine::start_ike_rekey(IkeSa& sa, uint64_t now_ms) {
  sa.rekey_at_ms = UINT64_MAX;
  PendingCreate& pc = sa.pending;
  pc = PendingCreate{};
  pc.active = true;
  pc.ike = true;
  pc.new_spi = random_spi64(*random_);
  pc.ni = random_->bytes(kNonceBytes);
  pc.dh = DhKey::generate(*sa.suite.dh, *random_);
  if (!pc.dh) {
    pc = PendingCreate{};
    return;
  }
  std::vector<Proposal> proposals = ike_proposals(config_.peers[sa.peer]);
  for (auto& prop : proposals) prop.spi = spi_bytes64(pc.new_spi);
  PayloadWriter w;
  w.sa(proposals);
  w.nonce(pc.ni);
  w.ke({pc.dh->group().number, pc.dh->public_value()});
  send_protected(sa, exchange::kCreateChildSa, false, sa.next_request_id++, w, now_ms);
}

IkeSa& Engine::adopt(IkeSa& sa, bool initiator, uint64_t spi_i, uint64_t spi_r,
                     const IkeSuite& suite, std::span<const uint8_t> shared,
                     std::span<const uint8_t> ni, std::span<const uint8_t> nr, uint64_t now_ms) {
  auto fresh = std::make_unique<IkeSa>();
  fresh->conn_id = new_conn_id();
  fresh->initiator = initiator;
  fresh->state = IkeSaState::Established;
  fresh->spi_i = spi_i;
  fresh->spi_r = spi_r;
  fresh->local = sa.local;
  fresh->remote = sa.remote;
  fresh->peer = sa.peer;
  fresh->child = sa.child;
  fresh->created_ms = now_ms;
  fresh->established_ms = now_ms;
  fresh->nat_local = sa.nat_local;
  fresh->nat_remote = sa.nat_remote;
  fresh->suite = suite;
  fresh->lifetime_seconds = sa.lifetime_seconds;
  fresh->peer_id = sa.peer_id;
  // RFC 7296 2.18: SKEYSEED = prf (SK_d (old), g^ir (new) | Ni | Nr), with the old SA's PRF.
  fresh->keys = derive_ike_sa_keys(suite, shared, ni, nr, spi_i, spi_r, sa.keys.d, sa.suite.prf);
  key_log_.add(ikev2_decryption_record(spi_i, spi_r, suite, fresh->keys));
  SkProtection i_to_r{suite.encryption, suite.integrity, fresh->keys.ei, fresh->keys.ai, 1};
  SkProtection r_to_i{suite.encryption, suite.integrity, fresh->keys.er, fresh->keys.ar, 1};
  fresh->outbound = initiator ? i_to_r : r_to_i;
  fresh->inbound = initiator ? r_to_i : i_to_r;
  fresh->children = std::move(sa.children);
  sa.children.clear();
  schedule_ike_lifetime(*fresh, now_ms);
  IkeSa& ref = *fresh;
  by_own_spi_[initiator ? spi_i : spi_r] = fresh.get();
  sas_.push_back(std::move(fresh));
  return ref;
}

void Engine::on_create_child_request(IkeSa& sa, const Header& h, const Payloads& p,
                                     uint64_t now_ms) {
  ++sa.peer_request_id;
  auto refuse = [&](uint16_t type, std::span<const uint8_t> data = {}) {
    PayloadWriter w;
    w.notify(type, data);
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
  };
  if (!p.sa || p.sa->empty() || !p.nonce) {
    refuse(notify::kInvalidSyntax);
    return;
  }
  const PeerConfig& peer = config_.peers[sa.peer];
  if (p.sa->front().protocol == protocol::kIke) {
    // Rekeying the IKE SA: the requester becomes the new SA's initiator (RFC 7296 2.18).
    if (!p.ke) {
      refuse(notify::kInvalidSyntax);
      return;
    }
    auto choice = choose_ike(*p.sa, peer, p.ke->group, 8);
    if (!choice) {
      record_for(sa, Failure::RekeyFail, "the peer's IKE SA rekey offers no acceptable proposal",
                 notify::kNoProposalChosen, now_ms);
      refuse(notify::kNoProposalChosen);
      return;
    }
    if (choice->suite.dh->number != p.ke->group) {
      uint8_t group[2];
      store16(group, choice->suite.dh->number);
      refuse(notify::kInvalidKePayload, group);
      return;
    }
    Bytes peer_spi;
    for (const auto& prop : *p.sa) {
      if (prop.number == choice->proposal.number) peer_spi = prop.spi;
    }
    auto dh = DhKey::generate(*choice->suite.dh, *random_);
    auto shared = dh ? dh->shared_secret(p.ke->data) : std::nullopt;
    if (!shared || peer_spi.size() != 8) {
      refuse(notify::kInvalidSyntax);
      return;
    }
    const uint64_t own_spi = random_spi64(*random_);
    const Bytes nr = random_->bytes(kNonceBytes);
    Proposal answer = choice->proposal;
    answer.spi = spi_bytes64(own_spi);
    PayloadWriter w;
    w.sa({answer});
    w.nonce(nr);
    w.ke({dh->group().number, dh->public_value()});
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
    adopt(sa, false, load_spi64(peer_spi), own_spi, choice->suite, *shared, *p.nonce, nr, now_ms);
    wipe(*shared);
    // The old IKE SA stays until the peer deletes it.
    return;
  }
  // A CHILD SA: a rekey (REKEY_SA names the old one) or a new one.
  const Notify* rekey = p.find_notify(notify::kRekeySa);
  if (rekey != nullptr) {
    const bool known = rekey->spi.size() == 4 &&
                       std::any_of(sa.children.begin(), sa.children.end(), [&](const ChildSa& c) {
                         return c.spi_out == load32(rekey->spi.data());
                       });
    if (!known) {
      refuse(notify::kChildSaNotFound);
      return;
    }
  }
  if (!p.tsi || !p.tsr) {
    refuse(notify::kInvalidSyntax);
    return;
  }
  bool flows_met = false;
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (child.peer != sa.peer) continue;
    auto tsi = intersect(*p.tsi, child.remote_ts);
    auto tsr = intersect(*p.tsr, child.local_ts);
    if (tsi.empty() || tsr.empty()) continue;
    flows_met = true;
    if (!child.tunnel != (p.find_notify(notify::kUseTransportMode) != nullptr)) continue;
    // PFS: the entry's group in the KE payload, or no KE payload when it has none.
    if ((child.pfs != nullptr) != p.ke.has_value()) continue;
    if (child.pfs != nullptr && p.ke->group != child.pfs->number) {
      uint8_t group[2];
      store16(group, child.pfs->number);
      refuse(notify::kInvalidKePayload, group);
      return;
    }
    uint32_t peer_spi = 0;
    const uint32_t own_spi = random_spi32(*random_);
    auto answer = choose_child(*p.sa, child, own_spi, true, peer_spi);
    if (!answer) continue;
    std::optional<Bytes> shared;
    std::unique_ptr<DhKey> dh;
    if (child.pfs != nullptr) {
      dh = DhKey::generate(*child.pfs, *random_);
      shared = dh ? dh->shared_secret(p.ke->data) : std::nullopt;
      if (!shared) {
        refuse(notify::kInvalidSyntax);
        return;
      }
    }
    const Bytes nr = random_->bytes(kNonceBytes);
    PayloadWriter w;
    if (!child.tunnel) w.notify(notify::kUseTransportMode);
    w.sa({*answer});
    w.nonce(nr);
    if (dh) w.ke({dh->group().number, dh->public_value()});
    w.ts(payload::kTsi, tsi);
    w.ts(payload::kTsr, tsr);
    send_protected(sa, exchange::kCreateChildSa, true, h.message_id, w, now_ms);
    install_child(sa, c, own_spi, peer_spi, tsr, tsi,
                  shared ? std::span<const uint8_t>(*shared) : std::span<const uint8_t>(), *p.nonce,
                  nr, false, now_ms);
    if (shared) wipe(*shared);
    return;  // a rekeyed CHILD SA stays until the peer deletes it
  }
  if (flows_met) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               "CREATE_CHILD_SA offered no acceptable proposal", notify::kNoProposalChosen, now_ms);
    refuse(notify::kNoProposalChosen);
  } else {
    record_for(sa, Failure::FlowMismatch,
               "CREATE_CHILD_SA proposed " + describe(*p.tsi) + " to " + describe(*p.tsr),
               notify::kTsUnacceptable, now_ms);
    refuse(notify::kTsUnacceptable);
  }
}

void Engine::on_create_child_response(IkeSa& sa, const Payloads& p, uint64_t now_ms) {
  PendingCreate pc = std::move(sa.pending);
  sa.pending = PendingCreate{};
  if (const Notify* e = p.error(); e != nullptr || !p.sa || p.sa->size() != 1 || !p.nonce) {
    const uint16_t type = e != nullptr ? e->type : notify::kInvalidSyntax;
    const Failure reason = pc.ike                            ? Failure::RekeyFail
                           : type == notify::kTsUnacceptable ? Failure::FlowMismatch
                           : type == notify::kNoProposalChosen
                               ? Failure::Phase2ProposalOrPfsMismatch
                               : Failure::RekeyFail;
    record_for(sa, reason, "the peer answered the rekey with " + notify_name(type), type, now_ms);
    return;
  }
  if (pc.ike) {
    const Proposal& chosen = p.sa->front();
    auto suite = accept_ike(chosen, config_.peers[sa.peer]);
    auto shared = (suite && p.ke && pc.dh && p.ke->group == pc.dh->group().number)
                      ? pc.dh->shared_secret(p.ke->data)
                      : std::nullopt;
    if (!suite || !shared || chosen.spi.size() != 8) {
      record_for(sa, Failure::RekeyFail, "the peer's answer to the IKE SA rekey is not one offered",
                 notify::kNoProposalChosen, now_ms);
      return;
    }
    adopt(sa, true, pc.new_spi, load_spi64(chosen.spi), *suite, *shared, pc.ni, *p.nonce, now_ms);
    wipe(*shared);
    // The old IKE SA is deleted now that its CHILD SAs live on the new one.
    PayloadWriter w;
    w.del({protocol::kIke, 0, {}});
    send_protected(sa, exchange::kInformational, false, sa.next_request_id++, w, now_ms);
    sa.state = IkeSaState::Deleting;
    return;
  }
  const ChildConfig& cfg = config_.children[pc.child];
  uint32_t peer_spi = 0;
  std::optional<Bytes> shared;
  if (pc.dh) {
    if (p.ke && p.ke->group == pc.dh->group().number) shared = pc.dh->shared_secret(p.ke->data);
    if (!shared) {
      record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
                 "the peer's answer has no usable KE payload", notify::kNoProposalChosen, now_ms);
      return;
    }
  }
  if (!accept_child(p.sa->front(), cfg, true, peer_spi)) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               "the peer chose " + describe(p.sa->front()) + ", not offered",
               notify::kNoProposalChosen, now_ms);
    return;
  }
  std::vector<TrafficSelector> local_ts = cfg.local_ts;
  std::vector<TrafficSelector> remote_ts = cfg.remote_ts;
  for (const auto& c : sa.children) {
    if (c.spi_in == pc.old_spi_in) {
      local_ts = c.local_ts;
      remote_ts = c.remote_ts;
    }
  }
  if (p.tsi) local_ts = *p.tsi;
  if (p.tsr) remote_ts = *p.tsr;
  install_child(sa, pc.child, pc.spi_in, peer_spi, local_ts, remote_ts,
                shared ? std::span<const uint8_t>(*shared) : std::span<const uint8_t>(), pc.ni,
                *p.nonce, true, now_ms);
  if (shared) wipe(*shared);
  // The old CHILD SA goes, and the peer is told (RFC 7296 1.3.3).
  for (size_t i = 0; i < sa.children.size(); ++i) {
    if (sa.children[i].spi_in == pc.old_spi_in && pc.old_spi_in != 0) {
      delete_child(sa, i, now_ms);
      break;
    }
  }
}

}  // namespace vfw::ike
