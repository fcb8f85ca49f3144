// Informational exchanges (RFC 2408 4.8, RFC 2409 5.7): deletes, notifications, and the
// dead-peer detection of RFC 3706.
#include "ike/v1/engine.hpp"

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {

using namespace engine_detail;

void Engine::send_informational(IsakmpSa& sa, const PayloadWriter& w) {
  // RFC 2409 5.7: HASH(1) = prf(SKEYID_a, M-ID | N/D), encrypted with an IV of its own that
  // leaves phase 1's untouched.
  const uint32_t mid = random_message_id(*random_);
  PayloadWriter out;
  out.add(payload::kHash, quick_hash(sa, mid, {}, w.bytes()));
  out.append_chain(w);
  Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, mid);
  transmit(sa.local, sa.remote, seal(header(sa, exchange::kInformational, mid), out, sa, iv));
}

void Engine::delete_child(IsakmpSa& sa, size_t index) {
  const ChildSa c = sa.children[index];
  sa.children.erase(sa.children.begin() + static_cast<long>(index));
  removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  if (!sa.established()) return;
  PayloadWriter w;
  Deletion d;
  d.protocol = c.protocol;
  d.spi_size = 4;
  d.spis.push_back(be32(c.spi_in));
  w.deletion(d);
  send_informational(sa, w);
}

Deletion Engine::isakmp_deletion(const IsakmpSa& sa) {
  Deletion d;
  d.protocol = protocol::kIsakmp;
  d.spi_size = 16;
  d.spis.push_back(cookies(sa.cky_i, sa.cky_r));
  return d;
}

void Engine::delete_sa(IsakmpSa& sa) {
  while (!sa.children.empty()) delete_child(sa, sa.children.size() - 1);
  if (sa.established()) {
    PayloadWriter w;
    w.deletion(isakmp_deletion(sa));
    send_informational(sa, w);
  }
  remove(&sa);
}

void Engine::on_informational(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                              uint64_t now_ms) {
  const bool encrypted = (h.flags & flag::kEncryption) != 0;
  Payloads p;
  DecodeError error;
  if (encrypted && !sa.established() && sa.state == Phase1State::MainSent5 &&
      !sa.keys.encryption.empty()) {
    // The initiator's message 5 reached a peer with another pre-shared key: it answers with an
    // encrypted INFORMATIONAL this side cannot read either. As the seed's side that cannot
    // decrypt: the payload chain it finds is recorded, with the seed's lines, and the SA goes.
    Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    Bytes plain;
    if (!open(message, h, sa, iv, plain, p, error)) {
      record_malformed(sa, error, now_ms);
      remove(&sa);
      return;
    }
  }
  if (encrypted) {
    if (!sa.established()) return;
    Bytes iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    Bytes plain;
    if (!open(message, h, sa, iv, plain, p, error) || !p.hash || p.after_hash == 0) return;
    const std::span<const uint8_t> rest(plain.data() + p.after_hash, p.chain_end - p.after_hash);
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, {}, rest))) return;
  } else {
    if (!decode_payloads(message.subspan(kHeaderBytes), h.next_payload, p, error)) return;
    // Unprotected, only an error about a negotiation still under way is believed (RFC 2408
    // 5.1); anything else could come from anyone.
    if (sa.established()) return;
  }
  for (const auto& n : p.notifications) {
    on_notification(sa, n, encrypted, now_ms);
    if (std::none_of(sas_.begin(), sas_.end(), [&](const auto& x) { return x.get() == &sa; }))
      return;
  }
  for (const auto& d : p.deletions) {
    if (d.protocol == protocol::kIsakmp) {
      // The peer deletes the ISAKMP SA: its IPsec SAs go with it (the device's "ikev1
      // phase1-phase2 sa dependent offline").
      remove(&sa);
      return;
    }
    // The IPsec SAs named may have moved to a newer ISAKMP SA with the same peer (a phase 1
    // renewed before the old one was deleted): any of this peer's SAs can hold them.
    for (const auto& spi : d.spis) {
      if (spi.size() != 4) continue;
      const uint32_t v = load32(spi.data());
      for (auto& holder : sas_) {
        if (holder->peer != sa.peer || holder->remote.address != sa.remote.address) continue;
        auto& children = holder->children;
        auto it = std::find_if(children.begin(), children.end(),
                               [&](const ChildSa& c) { return c.spi_out == v; });
        if (it == children.end()) continue;
        removals_.push_back({it->child, it->protocol, it->spi_in, it->spi_out});
        children.erase(it);
        break;
      }
    }
  }
}

void Engine::on_notification(IsakmpSa& sa, const Notification& n, bool encrypted, uint64_t now_ms) {
  const std::string from = "Message from peer " + to_string(sa.remote.address) + ": ";
  if (n.type == notify::kRUThere && encrypted) {
    PayloadWriter w;
    Notification ack = n;
    ack.type = notify::kRUThereAck;
    w.notification(ack);
    send_informational(sa, w);
    return;
  }
  if (n.type == notify::kRUThereAck) {
    sa.dpd_sent_ms = 0;
    return;
  }
  if (n.type >= 8192) return;  // a status, nothing failed
  if (!sa.established()) {
    // Phase 1 refused: the seed's lines for it, then the record.
    Failure reason = Failure::Phase1ProposalMismatch;
    if (n.type == notify::kPayloadMalformed) reason = Failure::MalformedPayload;
    if (n.type == notify::kInvalidIdInformation) reason = Failure::ConfigIdMismatch;
    if (n.type == notify::kInvalidHashInformation || n.type == notify::kAuthenticationFailed)
      reason = Failure::AuthenticationFail;
    std::string detail = "the peer answered " + notify_name(n.type);
    if (n.type == notify::kPayloadMalformed && sa.state == Phase1State::MainSent5)
      detail +=
          ": it could not read message 5, which the pre-shared key encrypts (do the keys "
          "match?)";
    record(&sa, sa.remote.address, sa.remote.port, reason, detail, n.type, now_ms);
    last_error().debug_before.push_back("17:5773 " + from + "Got NOTIFY of type " +
                                        notify_name(n.type));
    remove(&sa);
    return;
  }
  // A quick mode refused: the oldest of this side's still waiting.
  for (auto& q : sa.quick) {
    if (!q->initiator || q->done) continue;
    const bool flow = n.type == notify::kInvalidIdInformation;
    record(&sa, sa.remote.address, sa.remote.port,
           flow ? Failure::FlowMismatch : Failure::Phase2ProposalOrPfsMismatch,
           "the peer answered " + notify_name(n.type), n.type, now_ms);
    last_error().child = q->child;
    if (flow) {
      last_error().debug_before.push_back("17:5773 " + from + "Got NOTIFY of type " +
                                          notify_name(n.type));
    } else {
      last_error().debug_after.push_back(
          "17:6847 " + from + "dropping Message due to notification type " + notify_name(n.type));
    }
    QuickMode* gone = q.get();
    std::erase_if(sa.quick, [&](const auto& x) { return x.get() == gone; });
    return;
  }
}

}  // namespace vfw::ike::v1
