// Quick mode (RFC 2409 5.5): the IPsec SAs, their proposals, identities (the ACL's flows),
// PFS and lifetimes, and their installation.
#include "ike/v1/engine.hpp"

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/v1/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike::v1 {

using namespace engine_detail;

Bytes Engine::quick_hash(const IsakmpSa& sa, uint32_t message_id, std::span<const uint8_t> prefix,
                         std::span<const uint8_t> rest) const {
  Bytes input = be32(message_id);
  append(input, prefix);
  append(input, rest);
  return prf(*sa.hash->prf, sa.keys.a, input);
}

Transform Engine::child_transform(const ChildConfig& c, bool udp) const {
  Transform t;
  t.number = 1;
  const bool esp = c.protocol == protocol::kEsp;
  // The numbers are the IKEv1 columns of the algorithms' rows (ipsec/algorithms.cpp).
  const ipsec::EncryptionInfo& encryption = ipsec::info(c.encryption);
  const ipsec::AuthenticationInfo& authentication = ipsec::info(c.authentication);
  t.id = esp ? encryption.ikev1_esp : authentication.ikev1_ah;
  t.attributes.push_back({ipsec_attr::kLifeType, life::kSeconds});
  t.attributes.push_back({ipsec_attr::kLifeDuration, c.lifetime_seconds});
  if (c.lifetime_kilobytes != 0) {
    t.attributes.push_back({ipsec_attr::kLifeType, life::kKilobytes});
    t.attributes.push_back({ipsec_attr::kLifeDuration, c.lifetime_kilobytes});
  }
  if (c.pfs != nullptr) t.attributes.push_back({ipsec_attr::kGroup, c.pfs->number});
  const uint16_t mode = c.tunnel ? (udp ? encapsulation::kUdpTunnel : encapsulation::kTunnel)
                                 : (udp ? encapsulation::kUdpTransport : encapsulation::kTransport);
  t.attributes.push_back({ipsec_attr::kEncapsulation, mode});
  if (c.authentication != ipsec::Authentication::None && !encryption.aead)
    t.attributes.push_back({ipsec_attr::kAuthentication, authentication.ikev1_auth_attribute});
  if (esp && encryption.key_bits != 0)
    t.attributes.push_back({ipsec_attr::kKeyLength, encryption.key_bits});
  return t;
}

void Engine::send_quick(IsakmpSa& sa, QuickMode& qm, const PayloadWriter& w, bool await,
                        uint64_t now_ms) {
  send_flight(sa, qm.flight, seal(header(sa, exchange::kQuick, qm.message_id), w, sa, qm.iv), await,
              now_ms);
}

void Engine::start_quick(IsakmpSa& sa, size_t child, uint32_t replaces_spi_in, uint64_t now_ms) {
  const ChildConfig& c = config_.children[child];
  auto qm = std::make_unique<QuickMode>();
  qm->message_id = random_message_id(*random_);
  qm->initiator = true;
  qm->child = child;
  qm->replaces_spi_in = replaces_spi_in;
  qm->spi_in = random_spi(*random_);
  qm->ni = random_->bytes(32);
  qm->started_ms = now_ms;
  qm->iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, qm->message_id);
  if (c.pfs != nullptr) {
    qm->dh = DhKey::generate(*c.pfs, *random_);
    if (!qm->dh) return;
  }
  // IKEv1 carries one pair of client identities per quick mode: the entry's first ACL rule
  // (ike_link reports an entry whose ACL has more than one).
  qm->idci = client_id(c.local_ts.front());
  qm->idcr = client_id(c.remote_ts.front());
  qm->has_ids = true;
  SecurityAssociation offer;
  Proposal prop;
  prop.protocol = c.protocol;
  prop.spi = be32(qm->spi_in);
  prop.transforms.push_back(child_transform(c, sa.nat_local || sa.nat_remote));
  offer.proposals.push_back(std::move(prop));
  PayloadWriter rest;
  rest.sa(offer);
  rest.add(payload::kNonce, qm->ni);
  if (qm->dh) rest.add(payload::kKe, qm->dh->public_value());
  rest.id(qm->idci);
  rest.id(qm->idcr);
  PayloadWriter w;
  w.add(payload::kHash, quick_hash(sa, qm->message_id, {}, rest.bytes()));
  w.append_chain(rest);
  QuickMode& ref = *qm;
  sa.quick.push_back(std::move(qm));
  send_quick(sa, ref, w, true, now_ms);
}

void Engine::on_quick(IsakmpSa& sa, std::span<const uint8_t> message, const Header& h,
                      uint64_t now_ms) {
  if ((h.flags & flag::kEncryption) == 0 || h.message_id == 0) return;
  QuickMode* qm = nullptr;
  for (auto& q : sa.quick) {
    if (q->message_id == h.message_id) qm = q.get();
  }
  if (qm != nullptr && equal_bytes(qm->flight.received, message)) {
    if (!qm->flight.message.empty()) transmit(sa.local, sa.remote, qm->flight.message);
    return;
  }
  if (qm != nullptr && qm->done) return;
  std::unique_ptr<QuickMode> fresh;
  if (qm == nullptr) {
    fresh = std::make_unique<QuickMode>();
    fresh->message_id = h.message_id;
    fresh->started_ms = now_ms;
    fresh->iv = exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id);
    qm = fresh.get();
  }
  Bytes iv = qm->iv;
  Bytes plain;
  Payloads p;
  DecodeError error;
  if (!open(message, h, sa, iv, plain, p, error)) return;  // nothing authenticated: drop
  if (!p.hash || p.after_hash == 0) return;
  const std::span<const uint8_t> rest(plain.data() + p.after_hash, p.chain_end - p.after_hash);
  if (fresh) {
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, {}, rest))) return;
    qm->iv = iv;
    qm->flight.received.assign(message.begin(), message.end());
    sa.quick.push_back(std::move(fresh));
    on_quick_1(sa, *sa.quick.back(), p, now_ms);
    return;
  }
  if (qm->initiator) {
    if (!equal_bytes(*p.hash, quick_hash(sa, h.message_id, qm->ni, rest))) return;
    qm->iv = iv;
    qm->flight.received.assign(message.begin(), message.end());
    on_quick_2(sa, *qm, p, now_ms);
    return;
  }
  // The responder's third message: HASH(3) = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b).
  Bytes prefix{0};
  append(prefix, be32(h.message_id));
  append(prefix, qm->ni);
  append(prefix, qm->nr);
  if (!equal_bytes(*p.hash, prf(*sa.hash->prf, sa.keys.a, prefix))) return;
  qm->iv = iv;
  qm->flight.received.assign(message.begin(), message.end());
  qm->flight.awaiting = false;
  qm->done = true;
  install(sa, *qm, now_ms);
}

void Engine::on_quick_1(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms) {
  auto drop = [&] { std::erase_if(sa.quick, [&](const auto& q) { return q.get() == &qm; }); };
  const std::string peer = to_string(sa.remote.address);
  if (!p.sa || !p.nonce || p.sa->proposals.empty()) {
    drop();
    return;
  }
  qm.ni = *p.nonce;
  // The flows: IDci is the initiator's side (this side's remote), IDcr this side's. Without IDs
  // the SA protects the two peers' addresses (RFC 2409 5.5).
  TrafficSelector remote_ts;
  TrafficSelector local_ts;
  remote_ts.start = remote_ts.end = sa.remote.address;
  local_ts.start = local_ts.end = sa.local.address;
  if (p.ids.size() >= 2) {
    auto a = selector_of(p.ids[0]);
    auto b = selector_of(p.ids[1]);
    if (!a || !b) {
      drop();
      return;
    }
    remote_ts = *a;
    local_ts = *b;
    qm.idci = p.ids[0];
    qm.idcr = p.ids[1];
    qm.has_ids = true;
  }
  size_t child = SIZE_MAX;
  for (size_t i = 0; i < config_.children.size() && child == SIZE_MAX; ++i) {
    const ChildConfig& c = config_.children[i];
    if (c.peer != sa.peer) continue;
    for (size_t k = 0; k < c.local_ts.size(); ++k) {
      if (within(local_ts, c.local_ts[k]) && within(remote_ts, c.remote_ts[k])) {
        child = i;
        break;
      }
    }
  }
  auto inform = [&](uint16_t type) {
    PayloadWriter w;
    Notification n;
    n.protocol = p.sa->proposals[0].protocol;
    n.spi = p.sa->proposals[0].spi;
    n.type = type;
    w.notification(n);
    send_informational(sa, w);
  };
  if (child == SIZE_MAX) {
    record(&sa, sa.remote.address, sa.remote.port, Failure::FlowMismatch,
           "peer proposed " + hex_id(qm.idci) + " to " + hex_id(qm.idcr) +
               ", which no security acl of this peer's policies permits",
           notify::kInvalidIdInformation, now_ms);
    inform(notify::kInvalidIdInformation);
    drop();
    return;
  }
  const ChildConfig& c = config_.children[child];
  qm.child = child;
  // The proposal: this side's single transform, with or without UDP encapsulation as NAT-T
  // decided, and PFS exactly as configured (a group on one side only is a mismatch, as the
  // seed's Failure::Phase2ProposalOrPfsMismatch says).
  const bool udp = sa.nat_local || sa.nat_remote;
  const Transform own = child_transform(c, udp);
  const Proposal* chosen_prop = nullptr;
  const Transform* chosen = nullptr;
  std::string offered;
  for (const auto& prop : p.sa->proposals) {
    if (prop.protocol != c.protocol || prop.spi.size() != 4) continue;
    for (const auto& t : prop.transforms) {
      offered += (offered.empty() ? "" : ", ") + std::string("transform ") + std::to_string(t.id);
      if (chosen != nullptr || !same_transform(t, own)) continue;
      chosen_prop = &prop;
      chosen = &t;
    }
  }
  const bool pfs_ok = (c.pfs != nullptr) == p.ke.has_value() &&
                      (c.pfs == nullptr || p.ke->size() == c.pfs->public_bytes);
  if (chosen == nullptr || !pfs_ok) {
    record(&sa, sa.remote.address, sa.remote.port, Failure::Phase2ProposalOrPfsMismatch,
           "peer offered " +
               (offered.empty() ? std::string("no ") +
                                      (c.protocol == protocol::kEsp ? "ESP" : "AH") + " proposal"
                                : offered) +
               (pfs_ok ? ""
                       : (c.pfs != nullptr ? ", without PFS " + std::string(c.pfs->keyword)
                                           : ", with PFS this side has not")),
           notify::kNoProposalChosen, now_ms);
    last_error().child = child;
    inform(notify::kNoProposalChosen);
    drop();
    return;
  }
  qm.spi_out = load32(chosen_prop->spi.data());
  qm.spi_in = random_spi(*random_);
  qm.nr = random_->bytes(32);
  qm.choice = choice_for(c, udp);
  // Lifetimes: the shorter of both; when this side's is shorter it says so (RESPONDER-LIFETIME,
  // RFC 2407 4.5.4), so the initiator rekeys in time.
  const Lifetimes peer_life =
      lifetimes_of(chosen->attributes, ipsec_attr::kLifeType, ipsec_attr::kLifeDuration);
  qm.choice.lifetime_seconds =
      std::max(shorter(c.lifetime_seconds, peer_life.seconds), kMinLifetimeSeconds);
  qm.choice.lifetime_kilobytes = shorter(c.lifetime_kilobytes, peer_life.kilobytes);
  Bytes shared;
  PayloadWriter rest;
  SecurityAssociation answer;
  Proposal prop = *chosen_prop;
  prop.spi = be32(qm.spi_in);
  prop.transforms = {*chosen};
  answer.proposals.push_back(std::move(prop));
  rest.sa(answer);
  rest.add(payload::kNonce, qm.nr);
  if (c.pfs != nullptr) {
    qm.dh = DhKey::generate(*c.pfs, *random_);
    auto s = qm.dh ? qm.dh->shared_secret(*p.ke) : std::nullopt;
    if (!s) {
      record(&sa, sa.remote.address, sa.remote.port, Failure::Phase2ProposalOrPfsMismatch,
             "the peer's PFS public value is not in the group", notify::kInvalidKeyInformation,
             now_ms);
      inform(notify::kInvalidKeyInformation);
      drop();
      return;
    }
    rest.add(payload::kKe, qm.dh->public_value());
    qm.dh.reset();
    shared = std::move(*s);
  }
  if (qm.has_ids) {
    rest.id(qm.idci);
    rest.id(qm.idcr);
  }
  if (peer_life.seconds && qm.choice.lifetime_seconds < *peer_life.seconds) {
    Notification n;
    n.protocol = c.protocol;
    n.spi = be32(qm.spi_in);
    n.type = notify::kResponderLifetime;
    n.data = encode_attributes({{ipsec_attr::kLifeType, life::kSeconds},
                                {ipsec_attr::kLifeDuration, qm.choice.lifetime_seconds}});
    rest.notification(n);
  }
  qm.shared = std::move(shared);  // PFS's g(qm)^xy, for KEYMAT once the third message arrives
  PayloadWriter w;
  w.add(payload::kHash, quick_hash(sa, qm.message_id, qm.ni, rest.bytes()));
  w.append_chain(rest);
  send_quick(sa, qm, w, true, now_ms);
}

void Engine::on_quick_2(IsakmpSa& sa, QuickMode& qm, const Payloads& p, uint64_t now_ms) {
  const ChildConfig& c = config_.children[qm.child];
  auto give_up = [&](Failure reason, const std::string& detail, uint16_t notify) {
    record(&sa, sa.remote.address, sa.remote.port, reason, detail, notify, now_ms);
    last_error().child = qm.child;
    std::erase_if(sa.quick, [&](const auto& q) { return q.get() == &qm; });
  };
  if (!p.sa || !p.nonce || p.sa->proposals.size() != 1 ||
      p.sa->proposals[0].transforms.size() != 1 || p.sa->proposals[0].spi.size() != 4 ||
      p.sa->proposals[0].protocol != c.protocol) {
    give_up(Failure::Phase2ProposalOrPfsMismatch,
            "the peer's answer is not one proposal of this side's", notify::kBadProposalSyntax);
    return;
  }
  const bool udp = sa.nat_local || sa.nat_remote;
  if (!same_transform(p.sa->proposals[0].transforms[0], child_transform(c, udp)) ||
      (c.pfs != nullptr) != p.ke.has_value()) {
    give_up(Failure::Phase2ProposalOrPfsMismatch,
            "the peer answered with a transform this side did not offer",
            notify::kNoProposalChosen);
    return;
  }
  if (qm.has_ids && (p.ids.size() < 2 || p.ids[0].body() != qm.idci.body() ||
                     p.ids[1].body() != qm.idcr.body())) {
    give_up(Failure::FlowMismatch, "the peer answered with other client identities",
            notify::kInvalidIdInformation);
    return;
  }
  if (qm.dh) {
    auto s = qm.dh->shared_secret(*p.ke);
    if (!s) {
      give_up(Failure::Phase2ProposalOrPfsMismatch,
              "the peer's PFS public value is not in the group", notify::kInvalidKeyInformation);
      return;
    }
    qm.shared = std::move(*s);
    qm.dh.reset();
  }
  qm.nr = *p.nonce;
  qm.spi_out = load32(p.sa->proposals[0].spi.data());
  qm.choice = choice_for(c, udp);
  for (const auto& n : p.notifications) {
    if (n.type != notify::kResponderLifetime) continue;
    std::vector<Attribute> attrs;
    DecodeError ignored;
    if (!decode_attributes(n.data, attrs, ignored)) continue;
    const Lifetimes said = lifetimes_of(attrs, ipsec_attr::kLifeType, ipsec_attr::kLifeDuration);
    qm.choice.lifetime_seconds =
        std::max(shorter(qm.choice.lifetime_seconds, said.seconds), kMinLifetimeSeconds);
    qm.choice.lifetime_kilobytes = shorter(qm.choice.lifetime_kilobytes, said.kilobytes);
  }
  Bytes prefix{0};
  append(prefix, be32(qm.message_id));
  append(prefix, qm.ni);
  append(prefix, qm.nr);
  PayloadWriter w;
  w.add(payload::kHash, prf(*sa.hash->prf, sa.keys.a, prefix));
  send_quick(sa, qm, w, false, now_ms);
  qm.done = true;
  install(sa, qm, now_ms);
}

void Engine::install(IsakmpSa& sa, QuickMode& qm, uint64_t now_ms) {
  const ChildConfig& c = config_.children[qm.child];
  const auto& enc = ipsec::info(qm.choice.encryption);
  const size_t enc_bytes =
      qm.choice.protocol == protocol::kEsp ? enc.key_bytes + (enc.aead ? 4u : 0u) : 0u;
  const size_t auth_bytes = enc.aead || qm.choice.authentication == ipsec::Authentication::None
                                ? 0
                                : ipsec::info(qm.choice.authentication).key_bytes;
  // KEYMAT per direction, by the SPI its receiver chose: encryption key first, then integrity.
  auto keys = [&](uint32_t spi, Bytes& e, Bytes& a) {
    Bytes k = keymat(*sa.hash, sa.keys.d, qm.shared, qm.choice.protocol, spi, qm.ni, qm.nr,
                     enc_bytes + auth_bytes);
    e.assign(k.begin(), k.begin() + static_cast<long>(enc_bytes));
    a.assign(k.begin() + static_cast<long>(enc_bytes), k.end());
    wipe(k);
  };
  ChildSaInstall in;
  in.child = qm.child;
  in.conn_id = new_conn_id();
  in.local = sa.local.address;
  in.remote = sa.remote.address;
  in.udp_encapsulation = qm.choice.udp;
  in.remote_port = sa.remote.port;
  in.protocol = qm.choice.protocol;
  in.tunnel = qm.choice.tunnel;
  in.spi_in = qm.spi_in;
  in.spi_out = qm.spi_out;
  in.encryption = qm.choice.encryption;
  in.authentication = auth_bytes != 0 ? qm.choice.authentication : ipsec::Authentication::None;
  keys(qm.spi_in, in.encryption_key_in, in.authentication_key_in);
  keys(qm.spi_out, in.encryption_key_out, in.authentication_key_out);
  wipe(qm.shared);
  TrafficSelector local_ts = c.local_ts.front();
  TrafficSelector remote_ts = c.remote_ts.front();
  if (qm.has_ids) {
    // The flows as negotiated: IDci is the initiator's side.
    auto i = selector_of(qm.idci);
    auto r = selector_of(qm.idcr);
    if (i && r) {
      local_ts = qm.initiator ? *i : *r;
      remote_ts = qm.initiator ? *r : *i;
    }
  }
  in.local_ts = {local_ts};
  in.remote_ts = {remote_ts};
  in.lifetime_seconds = qm.choice.lifetime_seconds;
  in.lifetime_kilobytes = qm.choice.lifetime_kilobytes;
  ChildSa child;
  child.child = qm.child;
  child.conn_id = in.conn_id;
  child.protocol = qm.choice.protocol;
  child.spi_in = qm.spi_in;
  child.spi_out = qm.spi_out;
  child.established_ms = now_ms;
  // The side that started the quick mode renews the SAs at 90% of their life; the responder
  // leaves it to the initiator, as strongSwan and most IKEv1 stacks expect (a responder that
  // renews too races the initiator's renewal, and the peer may expire what the responder made
  // by a lifetime it never stated).
  child.rekey_at_ms = qm.initiator ? soft_ms(now_ms, qm.choice.lifetime_seconds) : UINT64_MAX;
  // The responder keeps the SA a little past the lifetime (10% and two seconds): the initiator
  // renews close to the end, and its new SA should find the old one still there to replace.
  const uint64_t life_ms = uint64_t{qm.choice.lifetime_seconds} * 1000;
  child.expire_at_ms = now_ms + (qm.initiator ? life_ms : life_ms + life_ms / 10 + 2000);
  child.local_ts = in.local_ts;
  child.remote_ts = in.remote_ts;
  sa.children.push_back(std::move(child));
  installs_.push_back(std::move(in));
  // A rekey: the SA it replaces goes, and the peer is told (RFC 2409 leaves the old one to
  // expire; deleting it at once keeps the SAD to one pair per flow, as the device does).
  if (qm.replaces_spi_in != 0) {
    for (size_t i = 0; i < sa.children.size(); ++i) {
      if (sa.children[i].spi_in == qm.replaces_spi_in) {
        delete_child(sa, i);
        break;
      }
    }
  }
}

}  // namespace vfw::ike::v1
