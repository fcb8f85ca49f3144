#include "device/ike_link.hpp"

#include <algorithm>
#include <map>

#include "packet/packet.hpp"

namespace vfw {
namespace {

template <typename T, typename Find>
std::vector<const T*> algorithms(const std::vector<std::string>& keywords, Find find,
                                 const std::string& what, std::vector<std::string>& problems) {
  std::vector<const T*> out;
  for (const auto& k : keywords) {
    if (const T* a = find(k)) {
      out.push_back(a);
    } else {
      problems.push_back(what + " " + k + " is not negotiated by vfw");
    }
  }
  return out;
}

ike::Identification ipv4_id(Ipv4 a) {
  ike::Identification id;
  id.type = ike::id_type::kIpv4Address;
  id.data.resize(4);
  store32(id.data.data(), a.v);
  return id;
}

ike::Identification fqdn_id(const std::string& name) {
  ike::Identification id;
  id.type = ike::id_type::kFqdn;
  id.data.assign(name.begin(), name.end());
  return id;
}

// An identity as the device spells it: by its id type when one is set, else an address if it
// reads as one and a name otherwise.
ike::Identification identity(config::IdType type, const std::string& value) {
  if (type == config::IdType::Ip || (type == config::IdType::Unset && parse_ipv4(value))) {
    if (auto a = parse_ipv4(value)) return ipv4_id(*a);
  }
  if (type == config::IdType::UserFqdn) {
    ike::Identification id = fqdn_id(value);
    id.type = ike::id_type::kRfc822Address;
    return id;
  }
  return fqdn_id(value);
}

// The selectors of an ACL's permit rules: sources as this side's, destinations as the peer's.
bool selectors(const config::Acl& acl, std::vector<ike::TrafficSelector>& local,
               std::vector<ike::TrafficSelector>& remote, std::vector<std::string>& problems) {
  auto range = [&](const std::optional<Wildcard>& w, ike::TrafficSelector& ts) {
    if (!w) {
      ts.start = Ipv4{0};
      ts.end = Ipv4{0xffffffffU};
      return true;
    }
    const uint32_t wild = w->wild.v;
    if ((wild & (wild + 1)) != 0) return false;  // not a contiguous wildcard: no range says it
    ts.start = Ipv4{w->addr.v & ~wild};
    ts.end = Ipv4{w->addr.v | wild};
    return true;
  };
  for (const auto& r : acl.rules) {
    if (!r.permit) continue;
    ike::TrafficSelector l;
    ike::TrafficSelector m;
    l.ip_protocol = m.ip_protocol = r.protocol;
    if (r.src_port) std::tie(l.start_port, l.end_port) = *r.src_port;
    if (r.dst_port) std::tie(m.start_port, m.end_port) = *r.dst_port;
    if (!range(r.source, l) || !range(r.destination, m)) {
      problems.push_back("acl " + std::to_string(acl.number) + " rule " + std::to_string(r.id) +
                         ": a non-contiguous wildcard is not a traffic selector");
      continue;
    }
    local.push_back(l);
    remote.push_back(m);
  }
  return !local.empty();
}

}  // namespace

ike::EngineConfig ike_engine_config(const config::Config& cfg, std::vector<std::string>& problems) {
  ike::EngineConfig out;
  std::map<std::string, size_t> peer_index;
  auto peer_of = [&](const std::string& name, Ipv4 local,
                     bool template_peer) -> std::optional<size_t> {
    const config::IkePeer* p = cfg.find_ike_peer(name);
    if (p == nullptr) {
      problems.push_back("ike peer " + name + " does not exist");
      return std::nullopt;
    }
    if (p->pre_shared_key.empty()) {
      problems.push_back(
          "ike peer " + name + ": no pre-shared key usable here" +
          (p->foreign_psk.empty() ? "" : " (sealed by another device: type it again)"));
      return std::nullopt;
    }
    const std::string key = name + (template_peer ? "/template" : "");
    if (auto it = peer_index.find(key); it != peer_index.end()) return it->second;
    ike::PeerConfig pc;
    pc.name = p->name;
    pc.pre_shared_key = p->pre_shared_key;
    pc.remote_address = p->remote_address;
    pc.any_address = template_peer && !p->remote_address;
    pc.nat_traversal = p->nat_traversal.value_or(true);
    pc.version1 = p->version1;
    pc.version2 = p->version2;
    pc.aggressive = p->exchange_mode == config::ExchangeMode::Aggressive;
    // dpd type periodic [dpd idle-time N]: the device's default idle time is 30 s.
    for (const auto& line : p->opaque) {
      if (line.rfind(" dpd type periodic", 0) == 0 && pc.dpd_seconds == 0) pc.dpd_seconds = 30;
      if (line.rfind(" dpd idle-time ", 0) == 0) {
        if (auto n = parse_uint(line.substr(15), 3600)) pc.dpd_seconds = *n;
      }
    }
    const config::IkeProposal prop = cfg.ike_proposal_of(*p);
    ike::IkeProposalConfig ipc;
    ipc.number = prop.name == "default" ? 0 : static_cast<uint32_t>(std::stoul(prop.name));
    std::vector<std::string> v2_problems;
    ipc.encryption = algorithms<ike::EncryptionAlgorithm>(
        prop.encryption, [](const std::string& k) { return ike::find_encryption(k); },
        "ike proposal " + prop.name + ": encryption-algorithm", v2_problems);
    ipc.prf = algorithms<ike::PrfAlgorithm>(
        prop.prf, [](const std::string& k) { return ike::find_prf(k); },
        "ike proposal " + prop.name + ": prf", v2_problems);
    ipc.integrity = algorithms<ike::IntegrityAlgorithm>(
        prop.integrity, [](const std::string& k) { return ike::find_integrity(k); },
        "ike proposal " + prop.name + ": integrity-algorithm", v2_problems);
    if (p->version2) problems.insert(problems.end(), v2_problems.begin(), v2_problems.end());
    ipc.dh = algorithms<ike::DhGroup>(
        prop.dh, [](const std::string& k) { return ike::find_dh_group(k); },
        "ike proposal " + prop.name + ": dh", problems);
    // IKEv1 reads the same proposal through its own tables: `authentication-algorithm` for the
    // hash, and ciphers (DES) IKEv2 does not have. A keyword is a problem only for a version
    // this peer speaks.
    std::vector<std::string> v1_problems;
    ipc.v1_encryption = algorithms<ike::v1::Cipher>(
        prop.encryption, [](const std::string& k) { return ike::v1::find_cipher(k); },
        "ike proposal " + prop.name + ": encryption-algorithm (IKEv1)", v1_problems);
    ipc.v1_hash = algorithms<ike::v1::Hash>(
        prop.authentication, [](const std::string& k) { return ike::v1::find_hash(k); },
        "ike proposal " + prop.name + ": authentication-algorithm", v1_problems);
    std::erase_if(ipc.v1_encryption, [&](const ike::v1::Cipher* c) {
      if (ike::v1::available(*c)) return false;
      v1_problems.push_back("ike proposal " + prop.name + ": encryption-algorithm " +
                            std::string(c->keyword) +
                            " is not in this OpenSSL (DES needs its legacy provider)");
      return true;
    });
    if (p->version1 && !p->version2)
      problems.insert(problems.end(), v1_problems.begin(), v1_problems.end());
    ipc.lifetime_seconds = prop.duration;
    pc.proposals.push_back(ipc);
    // Who this side is: local-id (by its type), the local name for fqdn, else the address.
    if (!p->local_id.empty()) {
      pc.local_id = identity(p->local_id_type, p->local_id);
    } else if (p->local_id_type == config::IdType::Fqdn && !cfg.ike_local_name.empty()) {
      pc.local_id = fqdn_id(cfg.ike_local_name);
    } else if (p->local_id_type == config::IdType::Fqdn) {
      pc.local_id = fqdn_id(cfg.sysname);
    } else {
      pc.local_id = ipv4_id(local);
    }
    if (!p->remote_id.empty()) {
      pc.remote_id = identity(p->remote_id_type, p->remote_id);
    } else if (p->authentication_address) {
      // remote-address authentication-address: the address the peer authenticates as, when it
      // differs from the one it sends from (a peer behind NAT): its IP identity must be it.
      pc.remote_id = ipv4_id(*p->authentication_address);
    }
    out.peers.push_back(std::move(pc));
    peer_index[key] = out.peers.size() - 1;
    return out.peers.size() - 1;
  };

  auto child_of = [&](const config::IpsecPolicy& policy, const config::IpsecPolicy& entry,
                      const std::string& interface, Ipv4 local, bool template_entry) {
    const std::string label = "ipsec policy " + policy.name + " " + std::to_string(policy.seq);
    if (!entry.acl || cfg.acls.count(*entry.acl) == 0) {
      problems.push_back(label + ": no security acl");
      return;
    }
    const config::IpsecProposal* prop = nullptr;
    for (const auto& x : cfg.ipsec_proposals) {
      if (x.name == entry.proposal) prop = &x;
    }
    if (prop == nullptr) {
      problems.push_back(label + ": no ipsec proposal");
      return;
    }
    if (prop->transform == config::IpsecProposal::Transform::AhEsp) {
      problems.push_back(label + ": transform ah-esp is not negotiated by IKEv2");
      return;
    }
    ike::ChildConfig c;
    c.policy = policy.name;
    c.seq = policy.seq;
    c.interface = interface;
    c.local_address = local;
    c.policy_index = static_cast<uint32_t>(&policy - cfg.ipsec_policies.data());
    c.responder_only = template_entry;
    c.auto_negotiate = policy.trigger_mode == config::TriggerMode::Auto ||
                       entry.trigger_mode == config::TriggerMode::Auto ||
                       cfg.interfaces.at(interface).ipsec_auto_neg;
    if (!selectors(cfg.acls.at(*entry.acl), c.local_ts, c.remote_ts, problems)) {
      problems.push_back(label + ": acl " + std::to_string(*entry.acl) + " permits nothing");
      return;
    }
    if (const config::IkePeer* ip = cfg.find_ike_peer(entry.ike_peer);
        ip != nullptr && ip->version1 && !ip->version2 && c.local_ts.size() > 1 &&
        !template_entry) {
      problems.push_back(label + ": IKEv1 negotiates one flow per quick mode; vfw proposes acl " +
                         std::to_string(*entry.acl) + "'s first permit rule only");
    }
    c.protocol = prop->transform == config::IpsecProposal::Transform::Ah ? ike::protocol::kAh
                                                                         : ike::protocol::kEsp;
    c.tunnel = prop->tunnel;
    c.encryption = c.protocol == ike::protocol::kEsp
                       ? ipsec::encryption_from_keyword(prop->esp_encryption)
                             .value_or(ipsec::Encryption::Aes256)
                       : ipsec::Encryption::None;
    c.authentication = ipsec::authentication_from_keyword(c.protocol == ike::protocol::kEsp
                                                              ? prop->esp_authentication
                                                              : prop->ah_authentication)
                           .value_or(ipsec::Authentication::Sha256);
    c.sha2_compatible = cfg.ipsec_sha2_compatible;
    if (!entry.pfs.empty()) c.pfs = ike::find_dh_group(entry.pfs.substr(entry.pfs.find("group")));
    if (entry.duration_time) c.lifetime_seconds = *entry.duration_time;
    if (entry.duration_traffic) c.lifetime_kilobytes = *entry.duration_traffic;
    auto peer = peer_of(entry.ike_peer, local, template_entry);
    if (!peer) return;
    c.peer = *peer;
    out.children.push_back(std::move(c));
  };

  uint32_t ifindex = 0;
  for (const auto& [name, ifc] : cfg.interfaces) {
    ++ifindex;
    if (ifc.ipsec_policy.empty() || !ifc.address) continue;
    for (const auto& p : cfg.ipsec_policies) {
      if (p.name != ifc.ipsec_policy || p.manual) continue;
      const Ipv4 local = p.tunnel_local.value_or(ifc.address->host);
      if (p.template_name.empty()) {
        child_of(p, p, name, local, false);
        if (!out.children.empty() && out.children.back().interface == name)
          out.children.back().ifindex = ifindex;
        continue;
      }
      for (const auto& t : cfg.ipsec_templates) {
        if (t.name != p.template_name) continue;
        child_of(p, t, name, local, true);
        if (!out.children.empty() && out.children.back().interface == name)
          out.children.back().ifindex = ifindex;
      }
    }
  }
  return out;
}

IkeLink::IkeLink() : engine_(ike::EngineConfig{}), v1_(ike::EngineConfig{}) {
  auto counter = std::make_shared<uint32_t>(1);
  for (ike::Negotiator* n : negotiators()) {
    n->share_conn_ids(counter);
    n->share_work_budget(budget_);
  }
}

void IkeLink::configure(const config::Config& cfg, uint64_t now_ms) {
  problems_.clear();
  sysname_ = cfg.sysname;
  const ike::EngineConfig ec = ike_engine_config(cfg, problems_);
  for (ike::Negotiator* n : negotiators()) n->configure(ec, now_ms);
}

bool IkeLink::acquire(uint32_t policy_index, uint64_t now_ms) {
  const auto& children = engine_.config().children;
  for (size_t i = 0; i < children.size(); ++i) {
    if (children[i].policy_index == policy_index && !children[i].responder_only)
      return initiate(i, now_ms);
  }
  return false;
}

void IkeLink::receive(const ike::Endpoint& local, const ike::Endpoint& remote,
                      std::span<const uint8_t> message, uint64_t now_ms) {
  // The ISAKMP header's version byte says which protocol this is (RFC 2408 3.1, RFC 7296 3.1).
  if (message.size() > 17 && (message[17] >> 4) == 1) {
    v1_.receive(local, remote, message, now_ms);
  } else {
    engine_.receive(local, remote, message, now_ms);
  }
}

bool IkeLink::initiate(size_t child, uint64_t now_ms) {
  if (child >= engine_.config().children.size()) return false;
  const auto& peer = engine_.config().peers[engine_.config().children[child].peer];
  // A peer with IKEv2 on starts with IKEv2, as the device does; IKEv1 only when it is off.
  return peer.version2 ? engine_.initiate(child, now_ms) : v1_.initiate(child, now_ms);
}

void IkeLink::traffic_lifetime(uint32_t spi, bool inbound, bool hard) {
  for (ike::Negotiator* n : negotiators()) n->traffic_lifetime(spi, inbound, hard);
}

void IkeLink::tick(uint64_t now_ms) {
  for (ike::Negotiator* n : negotiators()) n->tick(now_ms);
}

uint64_t IkeLink::next_timer_ms() const {
  uint64_t next = UINT64_MAX;
  for (const ike::Negotiator* n : negotiators()) next = std::min(next, n->next_timer_ms());
  return next;
}

void IkeLink::delete_all(uint64_t now_ms) {
  for (ike::Negotiator* n : negotiators()) n->delete_all(now_ms);
}

void IkeLink::delete_children(uint64_t now_ms) {
  for (ike::Negotiator* n : negotiators()) n->delete_children(now_ms);
}

namespace {

// Everything each negotiator has to say, in one list.
template <typename T>
std::vector<T> gathered(const std::array<ike::Negotiator*, 2>& negotiators,
                        std::vector<T> (ike::Negotiator::*take)()) {
  std::vector<T> out;
  for (ike::Negotiator* n : negotiators) {
    for (auto& x : (n->*take)()) out.push_back(std::move(x));
  }
  return out;
}

}  // namespace

std::vector<ike::Datagram> IkeLink::take_datagrams() {
  return gathered(negotiators(), &ike::Negotiator::take_datagrams);
}

namespace {

std::string hex64(uint64_t v) {
  ike::Bytes b(8);
  store32(b.data(), static_cast<uint32_t>(v >> 32));
  store32(b.data() + 4, static_cast<uint32_t>(v));
  return to_hex(b);
}

}  // namespace

void IkeLink::log_keys() {
  for (const auto& sa : v1_.sas()) {
    if (sa->keys.encryption.empty() ||
        std::find(logged_keys_.begin(), logged_keys_.end(), sa->cky_i) != logged_keys_.end())
      continue;
    logged_keys_.push_back(sa->cky_i);
    if (logged_keys_.size() > 1024) logged_keys_.erase(logged_keys_.begin());
    // The two fields of Wireshark's ikev1_decryption_table: the initiator's cookie and the
    // phase 1 encryption key.
    log_.push_back("IKE/7/KEYS: IKEv1 CKY-I " + hex64(sa->cky_i) + " encryption-key " +
                   to_hex(sa->keys.encryption) + " encryption " + std::string(sa->cipher->display) +
                   " hash " + std::string(sa->hash->display));
  }
  for (const auto& sa : engine_.sas()) {
    if (sa->state != ike::IkeSaState::Established && sa->state != ike::IkeSaState::AuthSent &&
        sa->state != ike::IkeSaState::InitAnswered)
      continue;
    if (sa->keys.ei.empty() ||
        std::find(logged_keys_.begin(), logged_keys_.end(), sa->spi_i) != logged_keys_.end())
      continue;
    logged_keys_.push_back(sa->spi_i);
    if (logged_keys_.size() > 1024) logged_keys_.erase(logged_keys_.begin());
    // The fields of Wireshark's ikev2_decryption_table, in its order.
    log_.push_back(
        "IKE/7/KEYS: SPIi " + hex64(sa->spi_i) + " SPIr " + hex64(sa->spi_r) + " SK_ei " +
        to_hex(sa->keys.ei) + " SK_er " + to_hex(sa->keys.er) + " SK_ai " + to_hex(sa->keys.ai) +
        " SK_ar " + to_hex(sa->keys.ar) + " encryption " +
        std::string(sa->suite.encryption->display) + " integrity " +
        (sa->suite.integrity != nullptr ? std::string(sa->suite.integrity->display) : "none"));
  }
}

namespace {

// "2026-11-29 08:51:58.299 " -> "Nov 29 2026 08:51:58.299.1": the debugging lines' own format.
std::string debug_time(const std::string& timestamp) {
  static const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (timestamp.size() < 23) return timestamp;
  const int month = std::stoi(timestamp.substr(5, 2));
  return std::string(months[(month + 11) % 12]) + " " + timestamp.substr(8, 2) + " " +
         timestamp.substr(0, 4) + " " + timestamp.substr(11, 12) + ".1";
}

}  // namespace

void IkeLink::debug_lines(const ike::ErrorRecord& e, const std::string& timestamp) {
  const std::string t = " " + debug_time(timestamp) + " " + sysname_;
  const std::string peer = to_string(e.peer);
  auto ike = [&](const std::string& text) { debug_.push_back(t + " IKE/7/IKE_Debug: \n " + text); };
  const std::string words(ike::failure_words(e.reason));
  if (e.version == 1 && debug_ikev1_error) {
    // The seed's IKEv1 lines: what the exchange saw, the error-info record, what followed.
    for (const auto& line : e.debug_before) ike("IKE_ERROR " + line);
    ike("IKE_ERROR 0:9946 Ikev1 error-info record(peer address: " + peer + ", error reason: " +
        words + ",list number: " + std::to_string(ike::list_number(e.reason, 1)) + ").");
    for (const auto& line : e.debug_after) ike("IKE_ERROR " + line);
  }
  if (e.version == 2 && debug_ikev2_error) {
    if (e.reason == ike::Failure::AuthenticationFail)
      ike("IKE_ERROR 63:4087 Authentication failed for the peer " + peer);
    if (e.reason == ike::Failure::ConfigIdMismatch) ike("IKE_ERROR 27:27568 ERROR - " + e.detail);
    ike("IKE_ERROR 56:8841 Ikev2 error Info record(peer address: " + peer + ", error reason: " +
        words + ",list number: " + std::to_string(ike::list_number(e.reason, 2)) + ").");
  }
  const std::string_view ipsec_words = ike::columns(e.reason).ipsec_words;
  if (debug_ipsec_error && !ipsec_words.empty()) {
    const auto& children = engine_.config().children;
    const ike::ChildConfig* c = e.child < children.size() ? &children[e.child] : nullptr;
    if (c == nullptr) {
      for (const auto& x : children) {
        if (x.peer == e.peer_index) c = &x;
      }
    }
    const uint32_t ifindex = c != nullptr ? c->ifindex : 0;
    // The ACL's failure names no policy entry (SeqNum 0); the proposal's names the one it tried.
    const uint32_t seq = e.reason == ike::Failure::FlowMismatch || c == nullptr ? 0 : c->seq;
    debug_.push_back(t + " IPSEC/7/IPSEC-DEBUG: \n [IPSEC-Error] " + std::string(ipsec_words) +
                     ".(Ifindex=[" + std::to_string(ifindex) + "], SeqNum=[" + std::to_string(seq) +
                     "],PeerAddress=[" + peer + "], PeerPort=[" + std::to_string(e.peer_port) +
                     "])");
  }
}

void IkeLink::drain(ipsec::Sad& sad, uint32_t now_seconds, const std::string& timestamp,
                    uint32_t anti_replay_window) {
  const auto& children = engine_.config().children;
  const auto removals = gathered(negotiators(), &ike::Negotiator::take_removals);
  const auto installs = gathered(negotiators(), &ike::Negotiator::take_installs);
  for (const auto& r : removals) {
    const uint8_t proto = r.protocol == ike::protocol::kAh ? ipproto::kAh : ipproto::kEsp;
    sad.remove_negotiated(r.spi_in, true, proto);
    sad.remove_negotiated(r.spi_out, false, proto);
  }
  for (const auto& in : installs) {
    if (in.child >= children.size()) continue;
    const ike::ChildConfig& child = children[in.child];
    for (const bool inbound : {true, false}) {
      ipsec::SaSpec spec;
      spec.spi = inbound ? in.spi_in : in.spi_out;
      spec.protocol = in.protocol == ike::protocol::kAh ? ipproto::kAh : ipproto::kEsp;
      spec.inbound = inbound;
      spec.tunnel = in.tunnel;
      spec.local = in.local;
      spec.remote = in.remote;
      spec.udp_encapsulation = in.udp_encapsulation;
      spec.remote_port = in.remote_port;
      spec.encryption = in.encryption;
      spec.encryption_key = inbound ? in.encryption_key_in : in.encryption_key_out;
      spec.authentication = in.authentication;
      spec.authentication_key = inbound ? in.authentication_key_in : in.authentication_key_out;
      spec.anti_replay_window = anti_replay_window;
      spec.created = now_seconds;
      spec.lifetime_seconds = in.lifetime_seconds;
      spec.lifetime_kilobytes = in.lifetime_kilobytes;
      spec.policy = child.policy;
      spec.policy_seq = child.seq;
      spec.policy_index = child.policy_index;
      spec.interface = child.interface;
      spec.conn_id = in.conn_id;
      Expected<std::unique_ptr<ipsec::Sa>> made = ipsec::make_sa(spec);
      if (!made) {
        problems_.push_back("CHILD SA " + std::to_string(spec.spi) + ": " + made.error().message);
        continue;
      }
      std::unique_ptr<ipsec::Sa> sa = std::move(*made);
      log_.push_back(timestamp + "IPSEC/6/SA: " + std::string(inbound ? "inbound" : "outbound") +
                     " " + ipsec::describe(*sa) + ", ipsec policy " + child.policy + " " +
                     std::to_string(child.seq));
      sad.add_negotiated(std::move(sa));
    }
  }
  for (const auto& r : removals) {
    log_.push_back(timestamp + "IPSEC/6/SA: SA pair spi " + std::to_string(r.spi_in) + "/" +
                   std::to_string(r.spi_out) + " deleted");
  }
  if (keys_in_log) log_keys();
  auto errors = gathered(negotiators(), &ike::Negotiator::take_errors);
  if (now_seconds != log_second_) {
    if (const uint64_t unlogged = failure_log_.take_unlogged(); unlogged > 0) {
      log_.push_back(timestamp + "IKE/4/NEGOTIATION: " + std::to_string(unlogged) +
                     " more negotiation failures were not logged (at most " +
                     std::to_string(failure_log_.per_second()) +
                     " a second; display ike error-info and display ikev2 statistics error "
                     "have them all)");
    }
    // The defences at work, once a second at most: the requests answered with a cookie and
    // those not answered at all.
    const uint64_t cookies = engine_.refusals().cookies_sent;
    const uint64_t busy = budget_->refused();
    if (cookies != cookies_seen_ || busy != busy_seen_) {
      log_.push_back(timestamp + "IKE/4/DEFENCE: " + std::to_string(cookies - cookies_seen_) +
                     " IKE_SA_INIT requests answered with a cookie to return, " +
                     std::to_string(busy - busy_seen_) +
                     " new IKE SA requests not answered (Diffie-Hellman budget of " +
                     std::to_string(budget_->units_per_second()) + " units a second spent); " +
                     std::to_string(half_open()) + " half-open");
      cookies_seen_ = cookies;
      busy_seen_ = busy;
    }
    log_second_ = now_seconds;
  }
  for (auto& e : errors) {
    // A flood of failures (malformed or spoofed requests) is counted, not written line by line.
    if (failure_log_.allow(uint64_t{now_seconds} * 1000)) {
      log_.push_back(timestamp + "IKE/4/NEGOTIATION: negotiation with " + to_string(e.peer) + ":" +
                     std::to_string(e.peer_port) + " failed: " +
                     std::string(ike::failure_words(e.reason)) + " (" + e.detail + ")");
      debug_lines(e, timestamp);
    }
    IkeErrorInfo info{std::move(e), timestamp};
    ++error_counts_[info.record.version == 1 ? 0 : 1][static_cast<size_t>(info.record.reason)];
    error_info_.push_back(std::move(info));
    if (error_info_.size() > kMaxErrorInfo) error_info_.pop_front();
  }
}

}  // namespace vfw
