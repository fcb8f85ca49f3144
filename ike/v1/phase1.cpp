// Phase 1 (RFC 2409 5): main mode and aggressive mode, which share their proposals, keys,
// identities and NAT detection; what differs is the order of the messages (on_phase1).
#include "ike/v1/engine.hpp"

#include <algorithm>

#include "ike/authentication.hpp"
#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {

using namespace engine_detail;

SecurityAssociation Engine::phase1_offer(const PeerConfig& peer, bool aggressive) const {
  SecurityAssociation sa;
  Proposal prop;
  prop.number = 1;
  prop.protocol = protocol::kIsakmp;
  uint8_t number = 1;
  const DhGroup* only_group = nullptr;  // aggressive mode's KE fixes the group
  for (const auto& p : peer.proposals) {
    for (const DhGroup* g : p.dh) {
      if (aggressive) {
        if (only_group == nullptr) only_group = g;
        if (g != only_group) continue;
      }
      for (const Cipher* c : p.v1_encryption) {
        for (const Hash* h : p.v1_hash) {
          Transform t;
          t.number = number++;
          t.id = kKeyIke;
          t.attributes.push_back({attr::kEncryption, c->attribute});
          if (c->key_bits != 0) t.attributes.push_back({attr::kKeyLength, c->key_bits});
          t.attributes.push_back({attr::kHash, h->attribute});
          t.attributes.push_back({attr::kAuthMethod, kAuthPreSharedKey});
          t.attributes.push_back({attr::kGroup, g->number});
          t.attributes.push_back({attr::kLifeType, life::kSeconds});
          t.attributes.push_back({attr::kLifeDuration, p.lifetime_seconds});
          prop.transforms.push_back(std::move(t));
          if (number == 0) return sa;  // 255 transforms: the field's limit
        }
      }
    }
  }
  sa.proposals.push_back(std::move(prop));
  return sa;
}

bool Engine::choose_phase1(const SecurityAssociation& offer, const PeerConfig& peer, IsakmpSa& sa,
                           Transform& chosen) const {
  // The first transform of the peer's, in its order, that one of this side's proposals holds.
  for (const auto& prop : offer.proposals) {
    if (prop.protocol != protocol::kIsakmp) continue;
    for (const auto& t : prop.transforms) {
      if (t.id != kKeyIke) continue;
      const auto enc = t.find(attr::kEncryption);
      const auto hash = t.find(attr::kHash);
      const auto group = t.find(attr::kGroup);
      if (!enc || !hash || !group || t.find(attr::kAuthMethod) != kAuthPreSharedKey) continue;
      const Cipher* c = find_cipher(static_cast<uint16_t>(*enc),
                                    static_cast<uint16_t>(t.find(attr::kKeyLength).value_or(0)));
      const Hash* h = find_hash(static_cast<uint16_t>(*hash));
      const DhGroup* g = find_dh_group(static_cast<uint16_t>(*group));
      if (c == nullptr || h == nullptr || g == nullptr || !available(*c)) continue;
      bool known = true;
      for (const auto& a : t.attributes) {
        if (a.type != attr::kEncryption && a.type != attr::kHash && a.type != attr::kAuthMethod &&
            a.type != attr::kGroup && a.type != attr::kLifeType && a.type != attr::kLifeDuration &&
            a.type != attr::kKeyLength)
          known = false;
      }
      if (!known) continue;
      for (const auto& own : peer.proposals) {
        const bool ok = std::find(own.v1_encryption.begin(), own.v1_encryption.end(), c) !=
                            own.v1_encryption.end() &&
                        std::find(own.v1_hash.begin(), own.v1_hash.end(), h) != own.v1_hash.end() &&
                        std::find(own.dh.begin(), own.dh.end(), g) != own.dh.end();
        if (!ok) continue;
        sa.cipher = c;
        sa.hash = h;
        sa.group = g;
        // The lifetimes: the shorter of the two (what the device keeps when they differ).
        const uint32_t lifetime =
            shorter(own.lifetime_seconds,
                    lifetimes_of(t.attributes, attr::kLifeType, attr::kLifeDuration).seconds);
        sa.lifetime_seconds = std::max(lifetime, kMinLifetimeSeconds);
        chosen = t;
        return true;
      }
    }
  }
  return false;
}

void Engine::vendor_ids(PayloadWriter& w, const PeerConfig& peer) const {
  if (peer.nat_traversal) w.add(payload::kVendorId, kNatTraversalVid);
  w.add(payload::kVendorId, kDpdVid);
}

void Engine::nat_d(PayloadWriter& w, const IsakmpSa& sa) const {
  // RFC 3947 3.2: the first NAT-D hashes the peer's address and port as this side sends to them,
  // the second this side's own.
  w.add(payload::kNatD, v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.remote.address, sa.remote.port));
  w.add(payload::kNatD, v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.local.address, sa.local.port));
}

void Engine::detect_nat(IsakmpSa& sa, const Payloads& p) {
  if (!sa.peer_nat_t || p.nat_d.size() < 2) return;
  // The peer's first NAT-D is this side as it saw it; the rest, the peer as it sent.
  const Bytes me = v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.local.address, sa.local.port);
  const Bytes them = v1::nat_d(*sa.hash, sa.cky_i, sa.cky_r, sa.remote.address, sa.remote.port);
  sa.nat_local = !equal_bytes(p.nat_d[0], me);
  sa.nat_remote = std::none_of(p.nat_d.begin() + 1, p.nat_d.end(),
                               [&](const Bytes& d) { return equal_bytes(d, them); });
}

bool Engine::derive(IsakmpSa& sa, std::span<const uint8_t> peer_ke) {
  auto shared = sa.dh->shared_secret(peer_ke);
  if (!shared) return false;
  sa.shared = std::move(*shared);
  (sa.initiator ? sa.gxr : sa.gxi).assign(peer_ke.begin(), peer_ke.end());
  (sa.initiator ? sa.gxi : sa.gxr) = sa.dh->public_value();
  const std::string& psk = config_.peers[sa.peer].pre_shared_key;
  sa.keys = derive_phase1(
      *sa.hash, *sa.cipher,
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(psk.data()), psk.size()), sa.ni,
      sa.nr, sa.shared, sa.cky_i, sa.cky_r);
  sa.iv = phase1_iv(*sa.hash, *sa.cipher, sa.gxi, sa.gxr);
  key_log_.add(ikev1_decryption_record(sa.cky_i, sa.keys.encryption));
  return true;
}

Bytes Engine::hash_i(const IsakmpSa& sa, std::span<const uint8_t> id_body) const {
  return phase1_hash(*sa.hash->prf, sa.keys.skeyid, sa.gxi, sa.gxr, sa.cky_i, sa.cky_r,
                     sa.sa_i_body, id_body);
}

Bytes Engine::hash_r(const IsakmpSa& sa, std::span<const uint8_t> id_body) const {
  return phase1_hash(*sa.hash->prf, sa.keys.skeyid, sa.gxr, sa.gxi, sa.cky_r, sa.cky_i,
                     sa.sa_i_body, id_body);
}

Id Engine::own_id(const IsakmpSa& sa) const {
  const Identification& id = config_.peers[sa.peer].local_id;
  Id out;
  out.type = id.type;
  out.data = id.data;
  if (id.type == id::kIpv4 && id.data.size() == 4 && load32(id.data.data()) == 0) {
    out.data = be32(sa.local.address.v);
  }
  return out;
}

bool Engine::check_peer_id(IsakmpSa& sa, const Id& id, uint64_t now_ms) {
  sa.peer_id = identification(id);
  sa.peer_id_body = id.body();
  const auto& want = config_.peers[sa.peer].remote_id;
  if (!want || (want->type == id.type && want->data == id.data)) return true;
  const auto [got, expected] = id_texts(sa.peer_id, *want);
  record(&sa, sa.remote.address, sa.remote.port, Failure::ConfigIdMismatch,
         "the peer identified as " + got + ", remote-id is " + expected,
         notify::kInvalidIdInformation, now_ms);
  last_error().debug_before.push_back("25:6956 ERROR - Received remote-name(" + got +
                                      ") does not match with peer remote-name(" + expected + ")");
  if (sa.initiator && sa.state == Phase1State::MainSent5) {
    // The responder sent message 6 with its ISAKMP SA established, and believes no unprotected
    // notification about an established SA (RFC 2408 5.1): the delete goes encrypted, under the
    // keys both sides now hold, so that it does not keep a READY SA per attempt.
    PayloadWriter w;
    Notification n;
    n.protocol = protocol::kIsakmp;
    n.type = notify::kInvalidIdInformation;
    n.spi = cookies(sa.cky_i, sa.cky_r);
    w.notification(n);
    w.deletion(isakmp_deletion(sa));
    send_informational(sa, w);
  } else {
    notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidIdInformation);
  }
  remove(&sa);
  return false;
}

IsakmpSa* Engine::start_phase1(size_t child, uint64_t now_ms) {
  const ChildConfig& c = config_.children[child];
  const PeerConfig& peer = config_.peers[c.peer];
  IsakmpSa& sa =
      create(true, {c.local_address, kIkePort}, {*peer.remote_address, kIkePort}, c.peer, now_ms);
  sa.child = child;
  sa.waiting.push_back(child);
  sa.aggressive = peer.aggressive;
  const SecurityAssociation offer = phase1_offer(peer, sa.aggressive);
  if (offer.proposals[0].transforms.empty()) {
    fail(sa, Failure::Phase1ProposalMismatch,
         "ike peer " + peer.name + " has no IKEv1 algorithms this side can offer", 0, now_ms);
    return nullptr;
  }
  sa.sa_i_body = encode_sa_body(offer);
  PayloadWriter w;
  w.add(payload::kSa, sa.sa_i_body);
  if (sa.aggressive) {
    // Aggressive mode (RFC 2409 5.4): the KE of the one group offered, Ni and IDii at once.
    const auto group = offer.proposals[0].transforms.empty()
                           ? std::nullopt
                           : offer.proposals[0].transforms[0].find(attr::kGroup);
    const DhGroup* g = group ? find_dh_group(static_cast<uint16_t>(*group)) : nullptr;
    sa.dh = g != nullptr ? DhKey::generate(*g, *random_) : nullptr;
    if (!sa.dh) {
      fail(sa, Failure::Phase1ProposalMismatch, "no DH group to offer", 0, now_ms);
      return nullptr;
    }
    sa.ni = random_->bytes(32);
    w.add(payload::kKe, sa.dh->public_value());
    w.add(payload::kNonce, sa.ni);
    w.id(own_id(sa));
    sa.state = Phase1State::AggressiveSent1;
  } else {
    sa.state = Phase1State::MainSent1;
  }
  vendor_ids(w, peer);
  send_flight(
      sa, sa.flight,
      encode_message(header(sa, sa.aggressive ? exchange::kAggressive : exchange::kMain, 0), w),
      true, now_ms);
  return &sa;
}

void Engine::on_first_message(const Endpoint& local, const Endpoint& remote,
                              std::span<const uint8_t> message, const Header& h, const Payloads& p,
                              uint64_t now_ms) {
  if (h.message_id != 0 || !p.sa) return;
  const bool aggressive = h.exchange == exchange::kAggressive;
  if (aggressive && (!p.ke || !p.nonce || p.ids.empty())) return;
  if (half_open_ >= kMaxHalfOpen) return;  // a flood: answer nothing, keep nothing
  // With pre-shared keys the peer is known by its address (RFC 2409 5.4): the key must be
  // chosen before its identity is seen in main mode.
  std::vector<size_t> candidates;
  for (size_t i = 0; i < config_.peers.size(); ++i) {
    const auto& peer = config_.peers[i];
    if (!peer.version1) continue;
    if (peer.remote_address ? *peer.remote_address == remote.address : peer.any_address)
      candidates.push_back(i);
  }
  const std::string from = to_string(remote.address);
  const auto v2_only =
      std::find_if(config_.peers.begin(), config_.peers.end(), [&](const auto& other) {
        return !other.version1 && other.remote_address && *other.remote_address == remote.address;
      });
  if (candidates.empty() && v2_only != config_.peers.end()) {
    record(nullptr, remote.address, remote.port, Failure::VersionMismatch,
           "ike peer " + v2_only->name + " has IKEv1 off (undo version 1); the peer sent IKEv1",
           notify::kNoProposalChosen, now_ms);
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  if (candidates.empty()) {
    record(nullptr, remote.address, remote.port, Failure::PeerAddressMismatch,
           "no ike peer has remote-address " + from, notify::kNoProposalChosen, now_ms);
    last_error().debug_after.push_back(
        "0:3595 Phase 1 Exchange: ike peer configuration not found for peer \"" + from + "\"");
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  IsakmpSa probe;
  Transform chosen;
  size_t peer_index = SIZE_MAX;
  for (const size_t i : candidates) {
    if (choose_phase1(*p.sa, config_.peers[i], probe, chosen)) {
      peer_index = i;
      break;
    }
  }
  if (peer_index == SIZE_MAX) {
    std::string offered;
    for (const auto& prop : p.sa->proposals) {
      for (const auto& t : prop.transforms)
        offered += (offered.empty() ? "" : ", ") + transform_text(t);
    }
    record(nullptr, remote.address, remote.port, Failure::Phase1ProposalMismatch,
           "peer offered " + offered, notify::kNoProposalChosen, now_ms);
    notify_plain(local, remote, h.cky_i, 0, notify::kNoProposalChosen);
    return;
  }
  IsakmpSa& sa = create(false, local, remote, peer_index, now_ms);
  ++half_open_;
  sa.cky_i = h.cky_i;
  by_peer_cookie_[{remote.address.v, h.cky_i}] = &sa;
  sa.aggressive = aggressive;
  sa.cipher = probe.cipher;
  sa.hash = probe.hash;
  sa.group = probe.group;
  sa.lifetime_seconds = probe.lifetime_seconds;
  sa.sa_i_body = p.sa_body;
  sa.peer_nat_t = p.has_vendor_id(kNatTraversalVid) && config_.peers[peer_index].nat_traversal;
  sa.peer_dpd = p.has_vendor_id(kDpdVid);
  sa.flight.received.assign(message.begin(), message.end());
  for (const auto& c : config_.children) {
    if (c.peer == peer_index) sa.child = static_cast<size_t>(&c - config_.children.data());
  }
  SecurityAssociation answer;
  answer.proposals.push_back(p.sa->proposals[0]);
  answer.proposals[0].transforms = {chosen};
  PayloadWriter w;
  w.sa(answer);
  if (aggressive) {
    if (p.ke->size() != sa.group->public_bytes) {
      fail(sa, Failure::Phase1ProposalMismatch,
           "the peer's KE is not of the group it proposed (" + std::string(sa.group->display) + ")",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    // The cheap checks of the peer's value first; then the budget; then the work.
    if (!DhKey::plausible(*sa.group, *p.ke)) {
      notify_plain(local, remote, h.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
      fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    // Aggressive mode's first message proves nothing of its source address: half the budget.
    if (!budget_->charge(*sa.group, now_ms, false)) {
      ++busy_;
      remove(&sa);  // not answered: the initiator retransmits
      return;
    }
    sa.dh = DhKey::generate(*sa.group, *random_);
    sa.ni = *p.nonce;
    sa.nr = random_->bytes(32);
    if (!sa.dh || !derive(sa, *p.ke)) {
      budget_->wasted(now_ms);
      notify_plain(local, remote, h.cky_i, sa.cky_r, notify::kInvalidKeyInformation);
      fail(sa, Failure::ResponderDhMismatch, "the peer's DH public value is not in the group",
           notify::kInvalidKeyInformation, now_ms);
      return;
    }
    if (!check_peer_id(sa, p.ids[0], now_ms)) return;
    const Id me = own_id(sa);
    w.add(payload::kKe, sa.dh->public_value());
    w.add(payload::kNonce, sa.nr);
    w.id(me);
    w.add(payload::kHash, hash_r(sa, me.body()));
    vendor_ids(w, config_.peers[peer_index]);
    if (sa.peer_nat_t) nat_d(w, sa);
    sa.state = Phase1State::AggressiveSent2;
  } else {
    vendor_ids(w, config_.peers[peer_index]);
    sa.state = Phase1State::MainSent2;
  }
  send_flight(sa, sa.flight, encode_message(header(sa, h.exchange, 0), w), true, now_ms);
}

void Engine::on_phase1(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                       uint64_t now_ms) {
  if (h.message_id != 0) return;
  if (equal_bytes(sa.flight.received, message)) {
    // The peer did not get this side's answer: the same again (RFC 2408 5.1 retransmission).
    if (!sa.flight.message.empty()) transmit(sa.local, sa.remote, sa.flight.message);
    return;
  }
  if (sa.established()) return;
  Payloads p;
  Bytes plain;
  DecodeError error;
  const bool encrypted = (h.flags & flag::kEncryption) != 0;
  if (encrypted) {
    if (sa.keys.encryption.empty()) return;
    if (!open(message, h, sa, sa.iv, plain, p, error)) {
      malformed(sa, error, now_ms);
      return;
    }
  } else if (!decode_payloads(message.subspan(kHeaderBytes), h.next_payload, p, error)) {
    malformed(sa, error, now_ms);
    return;
  }
  sa.flight.received.assign(message.begin(), message.end());
  sa.flight.awaiting = false;
  switch (sa.state) {
    case Phase1State::MainSent1:
    case Phase1State::AggressiveSent1:
      if (!answer_chosen(sa, h, p, now_ms)) return;
      if (sa.state == Phase1State::MainSent1) {
        main_send_3(sa, now_ms);
      } else {
        aggressive_finish(sa, p, now_ms);
      }
      return;
    case Phase1State::MainSent2:
      main_answer_3(sa, p, now_ms);
      return;
    case Phase1State::MainSent3:
      main_send_5(sa, p, now_ms);
      return;
    case Phase1State::MainSent4:
    case Phase1State::AggressiveSent2:
      last_from_initiator(sa, p, now_ms);
      return;
    case Phase1State::MainSent5:
      main_finish(sa, p, now_ms);
      return;
    case Phase1State::Established:
      return;
  }
}

// The initiator's keys from the responder's KE and Nr (main mode message 4, aggressive mode
// message 2); false when the negotiation ended there.
bool Engine::initiator_keys(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  sa.nr = *p.nonce;
  if (derive(sa, *p.ke)) return true;
  fail(sa, Failure::InitiatorDhMismatch, "the peer's DH public value is not in the group",
       notify::kInvalidKeyInformation, now_ms);
  return false;
}

// RFC 3947 4: once NAT-D shows a NAT, both sides talk on port 4500 from the next message on.
void Engine::float_after_nat_detection(IsakmpSa& sa, const Payloads& p) {
  detect_nat(sa, p);
  if (sa.nat_local || sa.nat_remote) {
    sa.local.port = kNatTraversalPort;
    sa.remote.port = kNatTraversalPort;
  }
}

// Messages 2 of main and aggressive mode, as the initiator reads them: the one transform the
// responder chose, of those this side offered, and the peer's vendor IDs.
bool Engine::answer_chosen(IsakmpSa& sa, const Header& h, const Payloads& p, uint64_t now_ms) {
  const PeerConfig& peer = config_.peers[sa.peer];
  if (h.exchange !=
          (sa.state == Phase1State::MainSent1 ? exchange::kMain : exchange::kAggressive) ||
      !p.sa)
    return false;
  if (sa.cky_r == 0) sa.cky_r = h.cky_r;
  Transform chosen;
  const SecurityAssociation& answer = *p.sa;
  // The answer must be one transform, of algorithms this side offered (the peer writes its
  // attributes in its own order and may state its own lifetime).
  const bool ours = answer.proposals.size() == 1 && answer.proposals[0].transforms.size() == 1;
  if (!ours || !choose_phase1(answer, peer, sa, chosen)) {
    fail(sa, Failure::Phase1ProposalMismatch, "the peer chose a transform this side did not offer",
         notify::kBadProposalSyntax, now_ms);
    return false;
  }
  sa.peer_nat_t = p.has_vendor_id(kNatTraversalVid) && peer.nat_traversal;
  sa.peer_dpd = p.has_vendor_id(kDpdVid);
  return true;
}

// The initiator's last message, as the responder reads it: main mode's 5 (HDR*, IDii, HASH_I),
// answered with 6 (HDR*, IDir, HASH_R), or aggressive mode's 3 (HDR*, HASH_I).
void Engine::last_from_initiator(IsakmpSa& sa, const Payloads& p, uint64_t now_ms) {
  const bool main = sa.state == Phase1State::MainSent4;
  if (!p.hash || (main && p.ids.empty())) {
    malformed(sa, {notify::kPayloadMalformed, "message without its ID or HASH payload"}, now_ms);
    return;
  }
  if (main && !check_peer_id(sa, p.ids[0], now_ms)) return;
  const Bytes expected = hash_i(sa, main ? p.ids[0].body() : sa.peer_id_body);
  if (!proof_matches(*p.hash, expected)) {
    record(&sa, sa.remote.address, sa.remote.port, Failure::AuthenticationFail,
           "HASH_I does not verify: the pre-shared keys differ", notify::kInvalidHashInformation,
           now_ms);
    notify_plain(sa.local, sa.remote, sa.cky_i, sa.cky_r, notify::kInvalidHashInformation);
    remove(&sa);
    return;
  }
  if (!main) detect_nat(sa, p);
  if (main) {
    const Id me = own_id(sa);
    PayloadWriter w;
    w.id(me);
    w.add(payload::kHash, hash_r(sa, me.body()));
    send_flight(sa, sa.flight, seal(header(sa, exchange::kMain, 0), w, sa, sa.iv), false, now_ms);
  }
  --half_open_;
  established(sa, initial_contact(p), now_ms);
}

bool Engine::first_contact(const IsakmpSa& sa) const {
  return std::none_of(sas_.begin(), sas_.end(), [&](const auto& other) {
    return other.get() != &sa && other->peer == sa.peer && other->established();
  });
}

Notification Engine::initial_contact_notification(const IsakmpSa& sa) {
  Notification n;
  n.protocol = protocol::kIsakmp;
  n.spi = cookies(sa.cky_i, sa.cky_r);
  n.type = notify::kInitialContact;
  return n;
}

bool Engine::initial_contact(const Payloads& p) {
  return std::any_of(p.notifications.begin(), p.notifications.end(),
                     [](const Notification& n) { return n.type == notify::kInitialContact; });
}

void Engine::established(IsakmpSa& sa, bool initial_contact, uint64_t now_ms) {
  sa.state = Phase1State::Established;
  sa.established_ms = now_ms;
  sa.dh.reset();
  sa.rekey_at_ms = sa.initiator ? soft_ms(now_ms, sa.lifetime_seconds) : UINT64_MAX;
  sa.expire_at_ms = now_ms + uint64_t{sa.lifetime_seconds} * 1000;
  if (initial_contact) {
    // INITIAL-CONTACT (RFC 2407 4.6.3.3): the peer has no other SA with this side (it
    // restarted), so whatever this side still holds for it is stale: gone, without a word.
    std::vector<IsakmpSa*> stale;
    for (auto& old : sas_) {
      if (old.get() != &sa && old->peer == sa.peer && old->remote.address == sa.remote.address)
        stale.push_back(old.get());
    }
    for (IsakmpSa* old : stale) remove(old);
  }
  // An ISAKMP SA that replaces an older one with the same peer (a phase 1 rekey, or the peer
  // starting afresh) takes over its IPsec SAs; the old one is deleted.
  for (auto& old : sas_) {
    if (old.get() == &sa || old->peer != sa.peer || !old->established() || old->replaced ||
        old->remote.address != sa.remote.address)
      continue;
    old->replaced = true;
    for (auto& c : old->children) sa.children.push_back(c);
    old->children.clear();
    old->expire_at_ms = std::min(old->expire_at_ms, now_ms + 10'000);
  }
  const std::vector<size_t> waiting = std::exchange(sa.waiting, {});
  if (sa.initiator) {
    for (const size_t child : waiting) start_quick(sa, child, 0, now_ms);
  }
}

}  // namespace vfw::ike::v1
