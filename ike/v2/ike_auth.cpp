// IKE_AUTH (RFC 7296 1.2): identities, pre-shared-key authentication and the first CHILD SA.
#include "ike/v2/engine.hpp"

#include <algorithm>

#include "ike/authentication.hpp"
#include "ike/crypto_failure.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {

using namespace engine_detail;

void Engine::on_auth_request(IkeSa& sa, const Header& h, const Payloads& p, uint64_t now_ms) {
  ++sa.peer_request_id;
  auto refuse = [&](Failure reason, const std::string& detail, uint16_t type) {
    PayloadWriter w;
    w.notify(type);
    send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
    fail(sa, reason, detail, type, now_ms);
  };
  if (!p.idi || !p.auth || !p.sa || !p.tsi || !p.tsr) {
    refuse(Failure::MalformedMessage, "IKE_AUTH request without IDi, AUTH, SA, TSi or TSr",
           notify::kInvalidSyntax);
    return;
  }
  // The peer config this IDi belongs to (remote-id, when set, must be it).
  size_t peer_index = SIZE_MAX;
  std::string wanted;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (peer.remote_address ? *peer.remote_address != sa.remote.address : !peer.any_address)
      continue;
    if (peer.remote_id && *peer.remote_id != *p.idi) {
      wanted += (wanted.empty() ? "" : ", ") + id_texts(*p.idi, *peer.remote_id).second;
      continue;
    }
    if (i == sa.peer || peer_index == SIZE_MAX) peer_index = i;
  }
  if (peer_index == SIZE_MAX) {
    refuse(Failure::ConfigIdMismatch,
           "Peer remote-name(" +
               (wanted.find(" (ID_") != std::string::npos
                    ? p.idi->text() + " (" + id_type_name(p.idi->type) + ")"
                    : p.idi->text()) +
               ") does not match with " + wanted,
           notify::kAuthenticationFailed);
    return;
  }
  sa.peer = peer_index;
  const PeerConfig& peer = config_.peers[peer_index];
  const Bytes psk = psk_bytes(peer);
  const Bytes expected =
      psk_auth(*sa.suite.prf, psk, sa.init_request, sa.nr, sa.keys.pi, p.idi->body());
  if (!psk_auth_matches(*p.auth, expected)) {
    refuse(Failure::AuthenticationFail,
           "Authentication failed for the peer " + to_string(sa.remote.address),
           notify::kAuthenticationFailed);
    return;
  }
  // Authenticated: the IKE SA stands whatever becomes of the CHILD SA (RFC 7296 2.21.2).
  sa.peer_id = *p.idi;
  --half_open_;
  sa.state = IkeSaState::Established;
  sa.established_ms = now_ms;
  schedule_ike_lifetime(sa, now_ms);
  PayloadWriter w;
  w.id(payload::kIdr, peer.local_id);
  w.auth({auth_method::kSharedKeyMic,
          psk_auth(*sa.suite.prf, psk, sa.init_response, sa.ni, sa.keys.pr, peer.local_id.body())});

  // The CHILD SA: a policy entry of this peer whose flows meet the peer's and whose proposal
  // matches.
  bool flows_met = false;
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (child.peer != peer_index) continue;
    auto tsi = intersect(*p.tsi, child.remote_ts);
    auto tsr = intersect(*p.tsr, child.local_ts);
    if (tsi.empty() || tsr.empty()) continue;
    flows_met = true;
    if (!child.tunnel != (p.find_notify(notify::kUseTransportMode) != nullptr)) continue;
    uint32_t peer_spi = 0;
    const uint32_t own_spi = random_spi32(*random_);
    auto answer = choose_child(*p.sa, child, own_spi, false, peer_spi);
    if (!answer) continue;
    if (!child.tunnel) w.notify(notify::kUseTransportMode);
    w.sa({*answer});
    w.ts(payload::kTsi, tsi);
    w.ts(payload::kTsr, tsr);
    send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
    sa.child = c;
    install_child(sa, c, own_spi, peer_spi, tsr, tsi, {}, sa.ni, sa.nr, false, now_ms);
    return;
  }
  uint16_t type = notify::kTsUnacceptable;
  if (flows_met) {
    type = notify::kNoProposalChosen;
    std::string offered;
    for (const auto& prop : *p.sa) offered += (offered.empty() ? "" : "; ") + describe(prop);
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch, "peer offered " + offered, type, now_ms);
  } else {
    record_for(sa, Failure::FlowMismatch,
               "peer proposed " + describe(*p.tsi) + " to " + describe(*p.tsr), type, now_ms);
  }
  w.notify(type);
  send_protected(sa, exchange::kIkeAuth, true, h.message_id, w, now_ms);
}

void Engine::on_auth_response(IkeSa& sa, const Payloads& p, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  if (!p.auth || !p.idr) {
    const Notify* e = p.error();
    const uint16_t type = e != nullptr ? e->type : notify::kInvalidSyntax;
    const Failure reason = type == notify::kAuthenticationFailed ? Failure::AuthenticationFail
                           : type == notify::kNoProposalChosen
                               ? Failure::Phase2ProposalOrPfsMismatch
                           : type == notify::kTsUnacceptable ? Failure::FlowMismatch
                                                             : Failure::NegotiationRefused;
    fail(sa, reason, "the peer answered " + notify_name(type), type, now_ms);
    return;
  }
  if (peer.remote_id && *peer.remote_id != *p.idr) {
    reject_responder(sa, now_ms);
    fail(sa, Failure::ConfigIdMismatch,
         "Peer remote-name(" + id_texts(*p.idr, *peer.remote_id).first + ") does not match with " +
             id_texts(*p.idr, *peer.remote_id).second,
         notify::kAuthenticationFailed, now_ms);
    return;
  }
  const Bytes expected =
      psk_auth(*sa.suite.prf, psk_bytes(peer), sa.init_response, sa.ni, sa.keys.pr, p.idr->body());
  if (!psk_auth_matches(*p.auth, expected)) {
    reject_responder(sa, now_ms);
    fail(sa, Failure::AuthenticationFail,
         "Authentication failed for the peer " + to_string(sa.remote.address),
         notify::kAuthenticationFailed, now_ms);
    return;
  }
  sa.peer_id = *p.idr;
  sa.state = IkeSaState::Established;
  sa.established_ms = now_ms;
  schedule_ike_lifetime(sa, now_ms);
  const ChildConfig& child = config_.children[sa.child];
  if (const Notify* e = p.error(); e != nullptr) {
    const Failure reason = e->type == notify::kTsUnacceptable
                               ? Failure::FlowMismatch
                               : Failure::Phase2ProposalOrPfsMismatch;
    record_for(sa, reason, "the peer answered " + notify_name(e->type), e->type, now_ms);
    return;
  }
  uint32_t peer_spi = 0;
  if (!p.sa || p.sa->size() != 1 || !accept_child(p.sa->front(), child, false, peer_spi) ||
      !p.tsi || !p.tsr) {
    record_for(sa, Failure::Phase2ProposalOrPfsMismatch,
               p.sa && !p.sa->empty()
                   ? "the peer chose " + describe(p.sa->front()) + ", not offered"
                   : "the peer's answer has no SA",
               notify::kNoProposalChosen, now_ms);
    return;
  }
  // The peer may narrow the flows, never widen them.
  if (intersect(*p.tsi, child.local_ts) != *p.tsi || intersect(*p.tsr, child.remote_ts) != *p.tsr) {
    record_for(sa, Failure::FlowMismatch,
               "the peer answered " + describe(*p.tsi) + " to " + describe(*p.tsr),
               notify::kTsUnacceptable, now_ms);
    return;
  }
  install_child(sa, sa.child, sa.child_spi, peer_spi, *p.tsi, *p.tsr, {}, sa.ni, sa.nr, true,
                now_ms);
}

// The responder installed its IKE SA and IPSec SAs when it sent the answer this side rejects:
// tell it in an INFORMATIONAL of its own (RFC 7296 2.21.2: the initiator's error goes back in a
// separate exchange, the one exception to not answering a response), the IKE SA deleted, so
// that it does not keep a READY SA pair per attempt. Its answer finds no SA here and is dropped.
void Engine::reject_responder(IkeSa& sa, uint64_t now_ms) {
  if (sa.outbound.encryption == nullptr) return;
  PayloadWriter w;
  w.notify(notify::kAuthenticationFailed);
  w.del({protocol::kIke, 0, {}});
  send_protected(sa, exchange::kInformational, false, sa.next_request_id++, w, now_ms);
}

void Engine::install_child(IkeSa& sa, size_t child_index, uint32_t spi_in, uint32_t spi_out,
                           const std::vector<TrafficSelector>& local_ts,
                           const std::vector<TrafficSelector>& remote_ts,
                           std::span<const uint8_t> shared, std::span<const uint8_t> ni,
                           std::span<const uint8_t> nr, bool exchange_initiator, uint64_t now_ms) {
  const ChildConfig& child = config_.children[child_index];
  const auto& ei = ipsec::info(child.encryption);
  const auto& ai = ipsec::info(child.authentication);
  const size_t enc_bytes =
      child.protocol == protocol::kEsp ? ei.key_bytes + (ei.aead ? 4U : 0U) : 0U;
  const size_t auth_bytes = (child.protocol == protocol::kAh || !ei.aead) ? ai.key_bytes : 0U;
  Bytes keymat =
      child_keymat(*sa.suite.prf, sa.keys.d, shared, ni, nr, 2 * (enc_bytes + auth_bytes));
  auto slice = [&](size_t at, size_t n) {
    return Bytes(keymat.begin() + static_cast<long>(at),
                 keymat.begin() + static_cast<long>(at + n));
  };
  // RFC 7296 2.17: first the initiator-to-responder SA's keys (encryption, then integrity).
  Bytes i_enc = slice(0, enc_bytes);
  Bytes i_auth = slice(enc_bytes, auth_bytes);
  Bytes r_enc = slice(enc_bytes + auth_bytes, enc_bytes);
  Bytes r_auth = slice(2 * enc_bytes + auth_bytes, auth_bytes);
  wipe(keymat);
  ChildSaInstall in;
  in.child = child_index;
  in.conn_id = new_conn_id();
  in.local = sa.local.address;
  in.remote = sa.remote.address;
  in.udp_encapsulation = sa.nat_local || sa.nat_remote;
  in.remote_port = sa.remote.port;
  in.protocol = child.protocol;
  in.tunnel = child.tunnel;
  in.spi_in = spi_in;
  in.spi_out = spi_out;
  in.encryption = child.protocol == protocol::kEsp ? child.encryption : ipsec::Encryption::None;
  in.authentication = auth_bytes != 0 ? child.authentication : ipsec::Authentication::None;
  in.encryption_key_out = exchange_initiator ? i_enc : r_enc;
  in.authentication_key_out = exchange_initiator ? i_auth : r_auth;
  in.encryption_key_in = exchange_initiator ? r_enc : i_enc;
  in.authentication_key_in = exchange_initiator ? r_auth : i_auth;
  in.local_ts = local_ts;
  in.remote_ts = remote_ts;
  in.lifetime_seconds = child.lifetime_seconds;
  in.lifetime_kilobytes = child.lifetime_kilobytes;
  ChildSa c;
  c.child = child_index;
  c.conn_id = in.conn_id;
  c.protocol = child.protocol;
  c.spi_in = spi_in;
  c.spi_out = spi_out;
  c.established_ms = now_ms;
  // The side that started the IKE SA renews its CHILD SAs first, the other a little later, so
  // that the two seldom rekey the same SA at once; at the hard lifetime an SA not renewed goes.
  const uint64_t life = uint64_t{child.lifetime_seconds} * 1000;
  c.rekey_at_ms = now_ms + (sa.initiator ? life * 9 / 10 : life * 19 / 20);
  c.expire_at_ms = now_ms + life;
  c.local_ts = local_ts;
  c.remote_ts = remote_ts;
  sa.children.push_back(std::move(c));
  installs_.push_back(std::move(in));
}

}  // namespace vfw::ike
