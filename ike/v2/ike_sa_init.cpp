// IKE_SA_INIT (RFC 7296 1.2): proposals, Diffie-Hellman, nonces, NAT detection and cookies.
#include "ike/v2/engine.hpp"

#include <algorithm>

#include "ike/authentication.hpp"
#include "ike/crypto_failure.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {

using namespace engine_detail;

void Engine::send_init_request(IkeSa& sa, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  PayloadWriter w;
  if (!sa.cookie.empty()) w.notify(notify::kCookie, sa.cookie);  // RFC 7296 2.6: first
  w.sa(ike_proposals(peer));
  w.ke({sa.dh->group().number, sa.dh->public_value()});
  w.nonce(sa.ni);
  if (peer.nat_traversal) {
    w.notify(notify::kNatDetectionSourceIp, nat_hash(sa.spi_i, 0, sa.local));
    w.notify(notify::kNatDetectionDestinationIp, nat_hash(sa.spi_i, 0, sa.remote));
  }
  Header h;
  h.spi_i = sa.spi_i;
  h.exchange = exchange::kIkeSaInit;
  h.flags = flag::kInitiator;
  h.message_id = 0;
  sa.next_request_id = 1;
  sa.init_request = encode_message(h, w);
  sa.state = IkeSaState::InitSent;
  send(sa, sa.init_request, true, now_ms);
}

bool Engine::derive_keys(IkeSa& sa, std::span<const uint8_t> peer_ke) {
  auto shared = sa.dh->shared_secret(peer_ke);
  if (!shared) return false;
  sa.keys = derive_ike_sa_keys(sa.suite, *shared, sa.ni, sa.nr, sa.spi_i, sa.spi_r);
  wipe(*shared);
  key_log_.add(ikev2_decryption_record(sa.spi_i, sa.spi_r, sa.suite, sa.keys));
  SkProtection i_to_r{sa.suite.encryption, sa.suite.integrity, sa.keys.ei, sa.keys.ai, 1};
  SkProtection r_to_i{sa.suite.encryption, sa.suite.integrity, sa.keys.er, sa.keys.ar, 1};
  sa.outbound = sa.initiator ? i_to_r : r_to_i;
  sa.inbound = sa.initiator ? r_to_i : i_to_r;
  return true;
}

void Engine::detect_nat(IkeSa& sa, const Header& h, const Payloads& p, const Endpoint& local,
                        const Endpoint& remote) {
  const Notify* source = p.find_notify(notify::kNatDetectionSourceIp);
  const Notify* destination = p.find_notify(notify::kNatDetectionDestinationIp);
  if (source == nullptr || destination == nullptr) return;  // the peer does not do NAT-T
  // What the peer saw as its own address and ours, against what reached us.
  sa.nat_remote = source->data != nat_hash(h.spi_i, h.spi_r, remote);
  sa.nat_local = destination->data != nat_hash(h.spi_i, h.spi_r, local);
}

void Engine::on_init_request(const Endpoint& local, const Endpoint& remote,
                             std::span<const uint8_t> m, const Header& h, const Payloads& p,
                             uint64_t now_ms) {
  // A retransmission gets the same response.
  if (auto it = by_peer_spi_.find({remote.address.v, h.spi_i}); it != by_peer_spi_.end()) {
    IkeSa* sa = it->second;
    if (sa->state == IkeSaState::InitAnswered && sa->init_request.size() == m.size() &&
        std::equal(m.begin(), m.end(), sa->init_request.begin()))
      datagrams_.push_back({sa->local, sa->remote, sa->init_response});
    return;
  }
  if (half_open_ >= kMaxHalfOpen) return;  // bounded: a flood costs only the newcomers
  if (!p.sa || !p.ke || !p.nonce) {
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  bool proven = false;  // the request returned this side's cookie: its address is the sender's
  if (half_open_ + budget_->recently_wasted(now_ms) >= kCookieThreshold ||
      budget_->under_pressure(now_ms)) {
    const Bytes cookie = cookie_for(*p.nonce, remote.address, h.spi_i);
    const bool first = !p.order.empty() && p.order.front() == payload::kNotify &&
                       p.notifies.front().type == notify::kCookie;
    if (!first || p.notifies.front().data != cookie) {
      if (first) ++refusals_.invalid_cookie;
      ++refusals_.cookies_sent;
      answer_unprotected_error(local, remote, h, notify::kCookie, cookie);
      return;
    }
    proven = true;
  }
  // The peers this request may come from: by address, or any for a template's peer.
  std::vector<size_t> candidates;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (!peer.version2) continue;  // `undo version 2`: IKEv2 is not answered for this peer
    if (peer.remote_address ? *peer.remote_address == remote.address : peer.any_address)
      candidates.push_back(i);
  }
  if (candidates.empty()) {
    // A peer of that address that speaks IKEv1 only is a version mismatch, not a missing peer.
    const auto v1_only =
        std::find_if(config_.peers.begin(), config_.peers.end(), [&](const auto& other) {
          return !other.version2 && other.remote_address && *other.remote_address == remote.address;
        });
    if (v1_only != config_.peers.end()) {
      record(remote.address, remote.port, Failure::VersionMismatch,
             "ike peer " + v1_only->name + " has IKEv2 off (undo version 2); the peer sent IKEv2",
             notify::kNoProposalChosen, now_ms);
    } else {
      record(remote.address, remote.port, Failure::PeerAddressMismatch,
             "no ike peer has remote-address " + to_string(remote.address),
             notify::kNoProposalChosen, now_ms);
    }
    answer_unprotected_error(local, remote, h, notify::kNoProposalChosen, {});
    return;
  }
  std::optional<IkeChoice> choice;
  size_t peer_index = 0;
  for (const size_t i : candidates) {
    choice = choose_ike(*p.sa, config_.peers[i], p.ke->group);
    if (choice) {
      peer_index = i;
      break;
    }
  }
  if (!choice) {
    std::string offered;
    for (const auto& prop : *p.sa) offered += (offered.empty() ? "" : "; ") + describe(prop);
    record(remote.address, remote.port, Failure::Phase1ProposalMismatch, "peer offered " + offered,
           notify::kNoProposalChosen, now_ms);
    answer_unprotected_error(local, remote, h, notify::kNoProposalChosen, {});
    return;
  }
  if (choice->suite.dh->number != p.ke->group) {
    // RFC 7296 1.2: the group this side wants, for the initiator to retry with.
    uint8_t group[2];
    store16(group, choice->suite.dh->number);
    answer_unprotected_error(local, remote, h, notify::kInvalidKePayload, group);
    return;
  }
  // The cheap checks of the peer's value first; then the budget; then the work.
  if (!DhKey::plausible(*choice->suite.dh, p.ke->data)) {
    ++refusals_.responder_dh_mismatch;
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  if (!budget_->charge(*choice->suite.dh, now_ms, proven)) {
    ++refusals_.busy;
    return;  // not answered: the initiator retransmits (RFC 7296 2.1)
  }
  auto sa = std::make_unique<IkeSa>();
  sa->conn_id = new_conn_id();
  sa->initiator = false;
  sa->spi_i = h.spi_i;
  sa->spi_r = random_spi64(*random_);
  sa->local = local;
  sa->remote = remote;
  sa->peer = peer_index;
  sa->child = SIZE_MAX;
  sa->created_ms = now_ms;
  sa->suite = choice->suite;
  sa->lifetime_seconds = choice->config->lifetime_seconds;
  sa->dh = DhKey::generate(*sa->suite.dh, *random_);
  if (!sa->dh) return;
  sa->ni = *p.nonce;
  sa->nr = random_->bytes(kNonceBytes);
  if (!derive_keys(*sa, p.ke->data)) {
    // The peer's public value is not in the group: the request is malformed, and the work it
    // cost counts towards demanding cookies as a half-open SA would.
    budget_->wasted(now_ms);
    ++refusals_.responder_dh_mismatch;
    answer_unprotected_error(local, remote, h, notify::kInvalidSyntax, {});
    return;
  }
  sa->init_request.assign(m.begin(), m.end());
  sa->answered_digest = sha256(m);
  Header rh;
  rh.spi_i = sa->spi_i;
  rh.spi_r = sa->spi_r;
  rh.exchange = exchange::kIkeSaInit;
  rh.flags = flag::kResponse;
  rh.message_id = 0;
  detect_nat(*sa, h, p, local, remote);
  PayloadWriter w;
  w.sa({choice->proposal});
  w.ke({sa->dh->group().number, sa->dh->public_value()});
  w.nonce(sa->nr);
  if (p.find_notify(notify::kNatDetectionSourceIp) != nullptr &&
      config_.peers[peer_index].nat_traversal) {
    w.notify(notify::kNatDetectionSourceIp, nat_hash(sa->spi_i, sa->spi_r, local));
    w.notify(notify::kNatDetectionDestinationIp, nat_hash(sa->spi_i, sa->spi_r, remote));
  }
  sa->init_response = encode_message(rh, w);
  sa->state = IkeSaState::InitAnswered;
  ++half_open_;
  sa->peer_request_id = 1;
  IkeSa& ref = *sa;
  by_own_spi_[sa->spi_r] = sa.get();
  by_peer_spi_[{remote.address.v, sa->spi_i}] = sa.get();
  sas_.push_back(std::move(sa));
  send(ref, ref.init_response, false, now_ms);
}

void Engine::on_init_response(IkeSa& sa, std::span<const uint8_t> m, const Header& h,
                              const Payloads& p, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  if (const Notify* cookie = p.find_notify(notify::kCookie); cookie != nullptr) {
    sa.cookie = cookie->data;  // RFC 7296 2.6: the same request again, with the cookie first
    send_init_request(sa, now_ms);
    return;
  }
  if (const Notify* invalid_ke = p.find_notify(notify::kInvalidKePayload); invalid_ke != nullptr) {
    const DhGroup* group =
        invalid_ke->data.size() == 2 ? find_dh_group(load16(invalid_ke->data.data())) : nullptr;
    bool offered = false;
    for (const auto& prop : peer.proposals) {
      offered = offered || std::find(prop.dh.begin(), prop.dh.end(), group) != prop.dh.end();
    }
    if (group == nullptr || !offered || group == &sa.dh->group()) {
      fail(sa, Failure::Phase1ProposalMismatch,
           "the peer asked for a DH group this side did not offer", notify::kInvalidKePayload,
           now_ms);
      return;
    }
    sa.dh = DhKey::generate(*group, *random_);
    if (!sa.dh) return;
    send_init_request(sa, now_ms);
    return;
  }
  if (const Notify* e = p.error(); e != nullptr) {
    const Failure reason = e->type == notify::kNoProposalChosen ? Failure::Phase1ProposalMismatch
                                                                : Failure::NegotiationRefused;
    // NO_PROPOSAL_CHOSEN answers both a proposal the peer cannot take and an address it has no
    // ike peer for (or one with IKEv2 off): the record says both, as the peer alone can tell.
    fail(sa, reason,
         "the peer answered " + notify_name(e->type) +
             (e->type == notify::kNoProposalChosen
                  ? ": no proposal in common, or the peer has no ike peer for this address "
                    "(remote-address " +
                        to_string(sa.local.address) + ") or has IKEv2 off there"
                  : std::string()),
         e->type, now_ms);
    return;
  }
  if (!p.sa || p.sa->size() != 1 || !p.ke || !p.nonce || h.spi_r == 0)
    return;  // malformed: ignored
  auto suite = accept_ike(p.sa->front(), peer);
  if (!suite || suite->dh->number != p.ke->group || &sa.dh->group() != suite->dh) {
    fail(sa, Failure::Phase1ProposalMismatch,
         "the peer chose " + describe(p.sa->front()) + ", not offered", notify::kNoProposalChosen,
         now_ms);
    return;
  }
  sa.suite = *suite;
  sa.spi_r = h.spi_r;
  sa.nr = *p.nonce;
  sa.init_response.assign(m.begin(), m.end());
  for (const auto& prop : peer.proposals) {
    if (std::find(prop.encryption.begin(), prop.encryption.end(), suite->encryption) !=
        prop.encryption.end()) {
      sa.lifetime_seconds = prop.lifetime_seconds;
      break;
    }
  }
  if (!derive_keys(sa, p.ke->data)) {
    fail(sa, Failure::Phase1ProposalMismatch, "the peer's DH public value is not in the group",
         notify::kInvalidSyntax, now_ms);
    return;
  }
  sa.awaiting_response = false;
  detect_nat(sa, h, p, sa.local, sa.remote);
  if (sa.nat_local || sa.nat_remote) {
    // RFC 7296 2.23: behind a NAT, everything after IKE_SA_INIT goes to and from port 4500.
    sa.local.port = kNatTraversalPort;
    sa.remote.port = kNatTraversalPort;
  }

  // IKE_AUTH: who this side is, proof of the PSK, and the first CHILD SA.
  const ChildConfig& child = config_.children[sa.child];
  sa.child_spi = random_spi32(*random_);
  PayloadWriter w;
  w.id(payload::kIdi, peer.local_id);
  if (peer.remote_id) w.id(payload::kIdr, *peer.remote_id);
  const Bytes psk = psk_bytes(peer);
  w.auth({auth_method::kSharedKeyMic,
          psk_auth(*sa.suite.prf, psk, sa.init_request, sa.nr, sa.keys.pi, peer.local_id.body())});
  if (!child.tunnel) w.notify(notify::kUseTransportMode);
  w.sa({child_proposal(child, sa.child_spi, false)});
  w.ts(payload::kTsi, child.local_ts);
  w.ts(payload::kTsr, child.remote_ts);
  sa.state = IkeSaState::AuthSent;
  send_protected(sa, exchange::kIkeAuth, false, sa.next_request_id++, w, now_ms);
}

}  // namespace vfw::ike
