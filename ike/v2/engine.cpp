// The IKEv2 engine (RFC 7296): its state, the messages in and out, the timers. Each exchange
// is in a file of its own: ike_sa_init.cpp, ike_auth.cpp, create_child_sa.cpp, informational.cpp.
#include "ike/v2/engine.hpp"

#include <openssl/evp.h>

#include <algorithm>

#include "ike/crypto_failure.hpp"
#include "ike/proposals.hpp"
#include "ike/v2/engine_internal.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {
namespace engine_detail {

uint64_t random_spi64(RandomSource& random) {
  for (;;) {
    const Bytes b = random.bytes(8);
    const uint64_t v = (uint64_t{load32(b.data())} << 32) | load32(b.data() + 4);
    if (v != 0) return v;
  }
}

uint32_t random_spi32(RandomSource& random) {
  for (;;) {
    const Bytes b = random.bytes(4);
    const uint32_t v = load32(b.data());
    if (v >= 256) return v;
  }
}

Bytes nat_hash(uint64_t spi_i, uint64_t spi_r, const Endpoint& e) {
  uint8_t data[22];
  store32(data, static_cast<uint32_t>(spi_i >> 32));
  store32(data + 4, static_cast<uint32_t>(spi_i));
  store32(data + 8, static_cast<uint32_t>(spi_r >> 32));
  store32(data + 12, static_cast<uint32_t>(spi_r));
  store32(data + 16, e.address.v);
  store16(data + 20, e.port);
  Bytes out(20);
  unsigned int length = 0;
  if (EVP_Digest(data, sizeof data, out.data(), &length, EVP_sha1(), nullptr) != 1)
    throw CryptoFailure("SHA-1 failed in OpenSSL");
  return out;
}

Bytes sha256(std::span<const uint8_t> message) {
  Bytes out(32);
  unsigned int length = 0;
  if (EVP_Digest(message.data(), message.size(), out.data(), &length, EVP_sha256(), nullptr) != 1)
    throw CryptoFailure("SHA-256 failed in OpenSSL");
  return out;
}

Bytes psk_bytes(const PeerConfig& peer) {
  return Bytes(peer.pre_shared_key.begin(), peer.pre_shared_key.end());
}

Bytes spi_bytes32(uint32_t spi) {
  Bytes b(4);
  store32(b.data(), spi);
  return b;
}

Bytes spi_bytes64(uint64_t spi) {
  Bytes b(8);
  store32(b.data(), static_cast<uint32_t>(spi >> 32));
  store32(b.data() + 4, static_cast<uint32_t>(spi));
  return b;
}

uint64_t load_spi64(const Bytes& b) {
  return (uint64_t{load32(b.data())} << 32) | load32(b.data() + 4);
}

}  // namespace engine_detail

using namespace engine_detail;

Engine::Engine(EngineConfig config)
    : config_(std::move(config)), cookie_secret_(random_->bytes(32)) {}

void Engine::set_random(RandomSource& random) {
  random_ = &random;
  cookie_secret_ = random_->bytes(32);
}

Bytes Engine::cookie_for(std::span<const uint8_t> ni, Ipv4 address, uint64_t spi_i) const {
  // RFC 7296 2.6: Hash(Ni | IPi | SPIi | secret), here HMAC-SHA-256 keyed with the secret.
  Bytes data(ni.begin(), ni.end());
  uint8_t extra[12];
  store32(extra, address.v);
  store32(extra + 4, static_cast<uint32_t>(spi_i >> 32));
  store32(extra + 8, static_cast<uint32_t>(spi_i));
  data.insert(data.end(), extra, extra + sizeof extra);
  return prf(*find_prf("hmac-sha2-256"), cookie_secret_, data);
}

void Engine::forget_negotiation(IkeSa& sa) {
  // What only IKE_SA_INIT and IKE_AUTH needed: the established SA does not keep it.
  sa.dh.reset();
  wipe(sa.ni);
  wipe(sa.nr);
  sa.init_request = Bytes();
  sa.init_response = Bytes();
  sa.cookie = Bytes();
}

void Engine::configure(EngineConfig config, uint64_t now_ms) {
  // The SAs refer to peers and policy entries by position: find each again by name in the new
  // configuration. One whose peer or policy entry is gone is deleted (the device's "config
  // modify or manual offline"), the peer told; the others carry on.
  auto peer_named = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < config.peers.size(); ++i) {
      if (config.peers[i].name == name) return i;
    }
    return SIZE_MAX;
  };
  auto child_named = [&](size_t old) -> size_t {
    if (old >= config_.children.size()) return SIZE_MAX;
    const ChildConfig& c = config_.children[old];
    for (size_t i = 0; i < config.children.size(); ++i) {
      if (config.children[i].policy == c.policy && config.children[i].seq == c.seq) return i;
    }
    return SIZE_MAX;
  };
  std::vector<IkeSa*> doomed;
  for (const auto& sa : sas_) {
    const size_t peer =
        sa->peer < config_.peers.size() ? peer_named(config_.peers[sa->peer].name) : SIZE_MAX;
    const size_t child = sa->child == SIZE_MAX ? SIZE_MAX : child_named(sa->child);
    bool gone = peer == SIZE_MAX || (sa->child != SIZE_MAX && child == SIZE_MAX);
    for (auto& c : sa->children) {
      c.child = child_named(c.child);
      gone = gone || c.child == SIZE_MAX;
    }
    if (sa->pending.active && sa->pending.child != SIZE_MAX) {
      sa->pending.child = child_named(sa->pending.child);
      gone = gone || sa->pending.child == SIZE_MAX;
    }
    if (gone) {
      doomed.push_back(sa.get());
      continue;
    }
    sa->peer = peer;
    sa->child = child;
  }
  for (IkeSa* sa : doomed) {
    // Told with the old configuration's keys (they are the SA's own), then removed.
    if (sa->state == IkeSaState::Established && !sa->awaiting_response) {
      PayloadWriter w;
      w.del({protocol::kIke, 0, {}});
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
    }
    for (auto& c : sa->children) c.child = SIZE_MAX;
    remove(sa);
  }
  config_ = std::move(config);
  auto_attempt_ms_.assign(config_.children.size(), 0);
}

IkeSa* Engine::find_own(uint64_t own_spi) {
  auto it = by_own_spi_.find(own_spi);
  return it == by_own_spi_.end() ? nullptr : it->second;
}

void Engine::record(Ipv4 peer, uint16_t port, Failure reason, const std::string& detail,
                    uint16_t notify, uint64_t now_ms) {
  errors_.push_back(ErrorRecord::make(peer, port, reason, detail, notify, now_ms, 2));
}

void Engine::record_for(const IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                        uint64_t now_ms) {
  record(sa.remote.address, sa.remote.port, reason, detail, notify, now_ms);
  errors_.back().peer_index = sa.peer;
  errors_.back().child = sa.child;
}

void Engine::fail(IkeSa& sa, Failure reason, const std::string& detail, uint16_t notify,
                  uint64_t now_ms) {
  record_for(sa, reason, detail, notify, now_ms);
  remove(&sa);
}

void Engine::remove(IkeSa* sa) {
  if (sa->state == IkeSaState::InitAnswered) --half_open_;
  for (const auto& c : sa->children) {
    removals_.push_back({c.child, c.protocol, c.spi_in, c.spi_out});
  }
  by_own_spi_.erase(sa->initiator ? sa->spi_i : sa->spi_r);
  if (!sa->initiator) by_peer_spi_.erase({sa->remote.address.v, sa->spi_i});
  wipe(sa->keys.d);
  wipe(sa->keys.ai);
  wipe(sa->keys.ar);
  wipe(sa->keys.ei);
  wipe(sa->keys.er);
  wipe(sa->keys.pi);
  wipe(sa->keys.pr);
  wipe(sa->outbound.encryption_key);
  wipe(sa->outbound.integrity_key);
  wipe(sa->inbound.encryption_key);
  wipe(sa->inbound.integrity_key);
  sas_.erase(std::remove_if(sas_.begin(), sas_.end(), [&](const auto& p) { return p.get() == sa; }),
             sas_.end());
}

void Engine::send(IkeSa& sa, Bytes message, bool request, uint64_t now_ms) {
  datagrams_.push_back({sa.local, sa.remote, message});
  if (request) {
    sa.last_request = std::move(message);
    sa.awaiting_response = true;
    sa.retransmits = 0;
    sa.retransmit_at_ms = now_ms + kRetransmitBaseMs;
  } else {
    sa.last_response = std::move(message);
    sa.has_response = true;
  }
}

void Engine::send_protected(IkeSa& sa, uint8_t exchange_type, bool response, uint32_t message_id,
                            const PayloadWriter& inner, uint64_t now_ms) {
  Header h;
  h.spi_i = sa.spi_i;
  h.spi_r = sa.spi_r;
  h.exchange = exchange_type;
  h.flags = static_cast<uint8_t>((sa.initiator ? flag::kInitiator : 0) |
                                 (response ? flag::kResponse : 0));
  h.message_id = message_id;
  auto m = seal_message(h, inner, sa.outbound, *random_);
  if (!m) return;  // OpenSSL failed: nothing sane to send; the peer retransmits or times out
  send(sa, std::move(*m), !response, now_ms);
}

void Engine::answer_unprotected_error(const Endpoint& local, const Endpoint& remote,
                                      const Header& request, uint16_t type,
                                      std::span<const uint8_t> data) {
  Header h;
  h.spi_i = request.spi_i;
  h.spi_r = request.spi_r;
  h.exchange = request.exchange;
  h.flags = flag::kResponse;
  h.message_id = request.message_id;
  PayloadWriter w;
  w.notify(type, data);
  datagrams_.push_back({local, remote, encode_message(h, w)});
}

bool Engine::initiate(size_t child_index, uint64_t now_ms) {
  try {
    return start(child_index, now_ms);
  } catch (const CryptoFailure& e) {
    const ChildConfig* child =
        child_index < config_.children.size() ? &config_.children[child_index] : nullptr;
    const PeerConfig* peer = child != nullptr && child->peer < config_.peers.size()
                                 ? &config_.peers[child->peer]
                                 : nullptr;
    record(peer != nullptr && peer->remote_address ? *peer->remote_address : Ipv4{}, kIkePort,
           Failure::CryptoUnavailable, e.what(), 0, now_ms);
    return false;
  }
}

bool Engine::start(size_t child_index, uint64_t now_ms) {
  if (child_index >= config_.children.size()) return false;
  const ChildConfig& child = config_.children[child_index];
  if (child.responder_only || child.peer >= config_.peers.size()) return false;
  const PeerConfig& peer = config_.peers[child.peer];
  // A peer with IKEv2 off (`undo version 2`) is the IKEv1 engine's.
  if (!peer.version2 || !peer.remote_address || peer.proposals.empty()) return false;
  for (const auto& sa : sas_) {
    if (sa->remote.address == *peer.remote_address && sa->child == child_index) return false;
  }
  auto sa = std::make_unique<IkeSa>();
  sa->conn_id = new_conn_id();
  sa->initiator = true;
  sa->spi_i = random_spi64(*random_);
  sa->local = {child.local_address, kIkePort};
  sa->remote = {*peer.remote_address, kIkePort};
  sa->peer = child.peer;
  sa->child = child_index;
  sa->created_ms = now_ms;
  const DhGroup* group =
      peer.proposals.front().dh.empty() ? nullptr : peer.proposals.front().dh.front();
  if (group == nullptr) return false;
  sa->dh = DhKey::generate(*group, *random_);
  if (!sa->dh) return false;
  sa->ni = random_->bytes(kNonceBytes);
  IkeSa& ref = *sa;
  by_own_spi_[sa->spi_i] = sa.get();
  sas_.push_back(std::move(sa));
  send_init_request(ref, now_ms);
  return true;
}

void Engine::receive(const Endpoint& local, const Endpoint& remote,
                     std::span<const uint8_t> message, uint64_t now_ms) {
  try {
    handle(local, remote, message, now_ms);
  } catch (const CryptoFailure& e) {
    record(remote.address, remote.port, Failure::CryptoUnavailable, e.what(), 0, now_ms);
  }
}

void Engine::handle(const Endpoint& local, const Endpoint& remote, std::span<const uint8_t> message,
                    uint64_t now_ms) {
  DecodeError error;
  const auto h = decode_header(message, error);
  if (!h) return;  // not an IKEv2 message this side can answer: dropped
  Payloads outer;
  const bool outer_ok =
      decode_payloads(message.subspan(kHeaderBytes), h->next_payload, outer, error);

  if (h->exchange == exchange::kIkeSaInit && !h->is_response()) {
    if (!h->from_initiator() || h->spi_r != 0 || h->message_id != 0) return;
    if (!outer_ok) {
      if (error.notify != 0) answer_unprotected_error(local, remote, *h, error.notify, error.data);
      return;
    }
    on_init_request(local, remote, message, *h, outer, now_ms);
    return;
  }
  // Everything else belongs to an IKE SA: the SPI this side chose finds it.
  const uint64_t own_spi = h->from_initiator() ? h->spi_r : h->spi_i;
  IkeSa* sa = find_own(own_spi);
  if (sa == nullptr) return;
  if (h->exchange == exchange::kIkeSaInit) {
    if (sa->initiator && sa->state == IkeSaState::InitSent && outer_ok && h->message_id == 0)
      on_init_response(*sa, message, *h, outer, now_ms);
    return;
  }
  if (!outer_ok || !outer.encrypted || sa->outbound.encryption == nullptr) return;
  // Message IDs (RFC 7296 2.2): a request is the next one expected, or the last one again.
  if (!h->is_response()) {
    if (sa->has_response && h->message_id + 1 == sa->peer_request_id) {
      if (sha256(message) == sa->answered_digest)
        datagrams_.push_back({sa->local, sa->remote, sa->last_response});
      return;
    }
    if (h->message_id != sa->peer_request_id) return;
  } else if (!sa->awaiting_response || h->message_id + 1 != sa->next_request_id) {
    return;
  }
  Payloads inner;
  if (!open_message(message, outer, sa->inbound, inner, error)) {
    // Integrity failure: silence (2.21). Malformed contents of an authentic request:
    // INVALID_SYNTAX.
    if (error.notify != 0 && !h->is_response()) {
      sa->answered_digest = sha256(message);
      PayloadWriter w;
      w.notify(error.notify, error.data);
      ++sa->peer_request_id;
      send_protected(*sa, h->exchange, true, h->message_id, w, now_ms);
      if (sa->state != IkeSaState::Established)
        fail(*sa, Failure::MalformedMessage, error.reason, error.notify, now_ms);
    }
    return;
  }
  sa->last_heard_ms = now_ms;
  if (!h->is_response()) sa->answered_digest = sha256(message);
  // The peer may have moved (NAT-T floats to 4500; a NAT may change the port).
  if (!(remote == sa->remote)) {
    sa->remote = remote;
    sa->local = local;
  }
  if (h->is_response()) {
    sa->awaiting_response = false;
    sa->liveness_check = false;
  }
  switch (h->exchange) {
    case exchange::kIkeAuth:
      if (!h->is_response() && sa->state == IkeSaState::InitAnswered) {
        on_auth_request(*sa, *h, inner, now_ms);
      } else if (h->is_response() && sa->state == IkeSaState::AuthSent) {
        on_auth_response(*sa, inner, now_ms);
      }
      break;
    case exchange::kInformational:
      if (!h->is_response()) {
        on_informational_request(*sa, *h, inner, now_ms);
      } else if (sa->state == IkeSaState::Deleting) {
        remove(sa);
      }
      break;
    case exchange::kCreateChildSa:
      if (!h->is_response() && sa->state == IkeSaState::Established) {
        on_create_child_request(*sa, *h, inner, now_ms);
      } else if (h->is_response() && sa->pending.active) {
        on_create_child_response(*sa, inner, now_ms);
      }
      break;
    default:
      break;
  }
  // The handler may have removed the SA; one that is up drops what negotiating needed.
  if (IkeSa* up = find_own(own_spi);
      up != nullptr && up->state == IkeSaState::Established && !up->init_request.empty())
    forget_negotiation(*up);
}

void Engine::traffic_lifetime(uint32_t spi, bool inbound, bool hard) {
  for (const auto& sa : sas_) {
    for (auto& c : sa->children) {
      if ((inbound ? c.spi_in : c.spi_out) != spi) continue;
      if (hard) c.expire_at_ms = 0;
      // Once: a rekey already asked for is not asked again.
      if (!hard && c.rekey_at_ms != UINT64_MAX) c.rekey_at_ms = 0;
    }
  }
}

void Engine::tick(uint64_t now_ms) {
  try {
    run_timers(now_ms);
  } catch (const CryptoFailure& e) {
    record(Ipv4{}, kIkePort, Failure::CryptoUnavailable, e.what(), 0, now_ms);
  }
}

void Engine::run_timers(uint64_t now_ms) {
  // Lifetimes first: renew what is due, delete what is past its hard lifetime. One exchange at a
  // time per IKE SA (a window of one, RFC 7296 2.3).
  std::vector<IkeSa*> established;
  for (const auto& p : sas_) {
    if (p->state == IkeSaState::Established) established.push_back(p.get());
  }
  for (IkeSa*& sa : established) {
    if (now_ms >= sa->expire_at_ms) {
      if (!sa->awaiting_response) {
        PayloadWriter w;
        w.del({protocol::kIke, 0, {}});
        send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, w, now_ms);
      }
      remove(sa);
      sa = nullptr;
      continue;
    }
    // A CHILD SA past its hard lifetime goes even while an exchange is under way.
    for (size_t i = sa->children.size(); i-- > 0;) {
      if (now_ms >= sa->children[i].expire_at_ms) delete_child(*sa, i, now_ms);
    }
    if (sa->awaiting_response || sa->pending.active) continue;
    if (now_ms >= sa->rekey_at_ms) {
      start_ike_rekey(*sa, now_ms);
      continue;
    }
    for (size_t i = 0; i < sa->children.size(); ++i) {
      if (now_ms >= sa->children[i].rekey_at_ms) {
        start_child_rekey(*sa, i, now_ms);
        break;
      }
    }
  }
  // Liveness (the device's dpd type periodic): an empty INFORMATIONAL after a quiet spell.
  for (IkeSa* sa : established) {
    if (sa == nullptr) continue;  // removed above
    const uint32_t dpd = config_.peers[sa->peer].dpd_seconds;
    if (dpd == 0 || sa->awaiting_response || sa->pending.active) continue;
    if (now_ms >= std::max(sa->last_heard_ms, sa->established_ms) + uint64_t{dpd} * 1000) {
      send_protected(*sa, exchange::kInformational, false, sa->next_request_id++, PayloadWriter{},
                     now_ms);
      sa->liveness_check = true;
    }
  }
  // NAT keepalives from the side behind the NAT (RFC 3948 4).
  if (now_ms >= next_keepalive_ms_) {
    next_keepalive_ms_ = now_ms + kKeepaliveMs;
    for (const auto& p : sas_) {
      if (p->state == IkeSaState::Established && p->nat_local)
        datagrams_.push_back({p->local, p->remote, Bytes{0xff}, true});
    }
  }
  // sa trigger-mode auto: the entries that should be up without waiting for traffic.
  auto_attempt_ms_.resize(config_.children.size(), 0);
  for (size_t c = 0; c < config_.children.size(); ++c) {
    const ChildConfig& child = config_.children[c];
    if (!child.auto_negotiate || child.responder_only) continue;
    if (auto_attempt_ms_[c] != 0 && now_ms < auto_attempt_ms_[c] + kAutoRetryMs) continue;
    const bool up = std::any_of(sas_.begin(), sas_.end(), [&](const auto& p) {
      return std::any_of(p->children.begin(), p->children.end(),
                         [&](const ChildSa& x) { return x.child == c; }) ||
             (p->child == c && p->state != IkeSaState::Established);
    });
    if (up) continue;
    auto_attempt_ms_[c] = now_ms;
    initiate(c, now_ms);
  }
  std::vector<IkeSa*> expired;
  for (const auto& p : sas_) {
    IkeSa& sa = *p;
    if (sa.state == IkeSaState::InitAnswered && now_ms >= sa.created_ms + kHalfOpenLifetimeMs) {
      expired.push_back(&sa);
      continue;
    }
    if (!sa.awaiting_response || now_ms < sa.retransmit_at_ms) continue;
    if (sa.retransmits >= kMaxRetransmits) {
      expired.push_back(&sa);
      continue;
    }
    ++sa.retransmits;
    sa.retransmit_at_ms = now_ms + (kRetransmitBaseMs << sa.retransmits);
    datagrams_.push_back({sa.local, sa.remote, sa.last_request});
  }
  for (IkeSa* sa : expired) {
    if (sa->awaiting_response && sa->state != IkeSaState::Deleting) {
      record_for(*sa, sa->liveness_check ? Failure::DpdTimeout : Failure::ExchangeTimeout,
                 "no answer to " + std::to_string(kMaxRetransmits + 1) + " transmissions", 0,
                 now_ms);
    }
    remove(sa);
  }
}

uint64_t Engine::next_timer_ms() const {
  uint64_t next = UINT64_MAX;
  for (const auto& sa : sas_) {
    if (sa->awaiting_response) next = std::min(next, sa->retransmit_at_ms);
    if (sa->state == IkeSaState::InitAnswered)
      next = std::min(next, sa->created_ms + kHalfOpenLifetimeMs);
    if (sa->state == IkeSaState::Established) {
      next = std::min({next, sa->rekey_at_ms, sa->expire_at_ms});
      if (const uint32_t dpd = config_.peers[sa->peer].dpd_seconds; dpd != 0)
        next =
            std::min(next, std::max(sa->last_heard_ms, sa->established_ms) + uint64_t{dpd} * 1000);
      if (sa->nat_local) next = std::min(next, next_keepalive_ms_);
      for (const auto& c : sa->children) next = std::min({next, c.rekey_at_ms, c.expire_at_ms});
    }
  }
  return next;
}

}  // namespace vfw::ike
