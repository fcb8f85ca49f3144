// Aggressive mode (RFC 2409 5, three messages, the identities in the clear): the initiator's end
// of it; the responder answers the first message in phase1.cpp and reads the third with main
// mode's fifth (last_from_initiator).
#include "ike/v1/engine.hpp"

#include <algorithm>

#include "ike/authentication.hpp"
#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {

using namespace engine_detail;

// Aggressive mode message 2, as the initiator reads it (HDR, SA, KE, Nr, IDir, HASH_R), and the
// third message that ends the exchange (HDR*, HASH_I).
void Engine::aggressive_finish(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  // Aggressive mode, message 2: the responder's KE, Nr, IDir and HASH_R.
  if (!p.ke || !p.nonce || p.ids.empty() || !p.hash) {
    fail(sa, Failure::MalformedMessage, "aggressive mode message 2 lacks a payload",
         notify::kPayloadMalformed, now_ms);
    return;
  }
  if (!initiator_keys(sa, p, now_ms)) return;
  if (!check_peer_id(sa, p.ids[0], now_ms)) return;
  if (!proof_matches(*p.hash, hash_r(sa, p.ids[0].body()))) {
    fail(sa, Failure::AuthenticationFail, "HASH_R does not verify: the pre-shared keys differ",
         notify::kInvalidHashInformation, now_ms);
    return;
  }
  float_after_nat_detection(sa, p);
  PayloadWriter w;
  w.add(payload::kHash, hash_i(sa, own_id(sa).body()));
  if (sa.peer_nat_t) nat_d(w, sa);
  if (first_contact(sa)) w.notification(initial_contact_notification(sa));
  // RFC 3947 4: the third message goes encrypted.
  send_flight(sa, sa.flight, seal(header(sa, exchange::kAggressive, 0), w, sa, sa.iv), false,
              now_ms);
  established(sa, false, now_ms);
}

}  // namespace vfw::ike::v1
