// Main mode (RFC 2409 5, identity protection): the six messages, as each side reads and answers
// them after the first (phase1.cpp answers a first message and dispatches the others).
#include "ike/v1/engine.hpp"

#include <algorithm>

#include "ike/authentication.hpp"
#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {

using namespace engine_detail;

// Main mode message 3, from the initiator: HDR, KE, Ni, NAT-D, NAT-D.
void Engine::main_send_3(IsakmpSa& sa, uint64_t now_ms) {
  sa.dh = DhKey::generate(*sa.group, *random_);
  sa.ni = random_->bytes(32);
  if (!sa.dh) {
    fail(sa, Failure::Phase1ProposalMismatch, "OpenSSL cannot make a key in this group", 0, now_ms);
    return;
  }
  PayloadWriter w;
  w.add(payload::kKe, sa.dh->public_value());
  w.add(payload::kNonce, sa.ni);
  if (sa.peer_nat_t) nat_d(w, sa);
  sa.state = Phase1State::MainSent3;
  send_flight(sa, sa.flight, encode_message(header(sa, exchange::kMain, 0), w), true, now_ms);
}

// Main mode message 3, as the responder reads it (HDR, KE, Ni, NAT-D, NAT-D), and its answer,
// message 4 (HDR, KE, Nr, NAT-D, NAT-D).
void Engine::main_answer_3(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  if (!p.ke || !p.nonce) return;
  if (p.ke->size() != sa.group->public_bytes) {
    notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
    fail(sa, Failure::ResponderDhMismatch, "the peer's KE is not of the group chosen",
         notify::kInvalidKeyInformation, now_ms);
    return;
  }
  if (!DhKey::plausible(*sa.group, *p.ke)) {
    notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
    fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
         notify::kInvalidKeyInformation, now_ms);
    return;
  }
  // Message 3 carries this side's cookie: the address is the sender's.
  if (!budget_->charge(*sa.group, now_ms, true)) {
    ++busy_;
    sa.flight.received.clear();  // its retransmission is handled afresh, not as answered
    return;
  }
  sa.dh = DhKey::generate(*sa.group, *random_);
  sa.ni = *p.nonce;
  sa.nr = random_->bytes(32);
  if (!sa.dh || !derive(sa, *p.ke)) {
    budget_->wasted(now_ms);
    notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
    fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
         notify::kInvalidKeyInformation, now_ms);
    return;
  }
  detect_nat(sa, p);
  PayloadWriter w;
  w.add(payload::kKe, sa.dh->public_value());
  w.add(payload::kNonce, sa.nr);
  if (sa.peer_nat_t) nat_d(w, sa);
  sa.state = Phase1State::MainSent4;
  send_flight(sa, sa.flight, encode_message(header(sa, exchange::kMain, 0), w), true, now_ms);
}

// Main mode message 4, as the initiator reads it, and message 5 (HDR*, IDii, HASH_I).
void Engine::main_send_5(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  if (!p.ke || !p.nonce) return;
  if (!initiator_keys(sa, p, now_ms)) return;
  float_after_nat_detection(sa, p);
  const Id me = own_id(sa);
  PayloadWriter w;
  w.id(me);
  w.add(payload::kHash, hash_i(sa, me.body()));
  if (first_contact(sa)) w.notification(initial_contact_notification(sa));
  sa.state = Phase1State::MainSent5;
  send_flight(sa, sa.flight, seal(header(sa, exchange::kMain, 0), w, sa, sa.iv), true, now_ms);
}

// Main mode message 6, as the initiator reads it (HDR*, IDir, HASH_R).
void Engine::main_finish(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  if (p.ids.empty() || !p.hash) {
    malformed(sa, {notify::kPayloadMalformed, "message 6 without its ID or HASH payload"}, now_ms);
    return;
  }
  if (!check_peer_id(sa, p.ids[0], now_ms)) return;
  if (!proof_matches(*p.hash, hash_r(sa, p.ids[0].body()))) {
    fail(sa, Failure::AuthenticationFail, "HASH_R does not verify: the pre-shared keys differ",
         notify::kInvalidHashInformation, now_ms);
    return;
  }
  established(sa, initial_contact(p), now_ms);
}

}  // namespace vfw::ike::v1
