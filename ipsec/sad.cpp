#include "ipsec/sad.hpp"

#include <algorithm>
#include <cstdio>

#include "ipsec/algorithms.hpp"
#include "packet/packet.hpp"

namespace vfw::ipsec {
namespace {

std::vector<uint8_t> from_hex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoul(hex.substr(i, 2), nullptr, 16)));
  return out;
}

// The address a policy's tunnel starts from: `tunnel local`, else the applied interface's.
std::optional<std::pair<Ipv4, std::string>> local_end(const config::Config& cfg,
                                                      const config::IpsecPolicy& p) {
  for (const auto& [name, i] : cfg.interfaces) {
    if (i.ipsec_policy != p.name) continue;
    if (p.tunnel_local) return std::pair{*p.tunnel_local, name};
    if (i.address) return std::pair{i.address->host, name};
  }
  return std::nullopt;
}

}  // namespace

namespace {
uint64_t inbound_key(uint32_t spi, Ipv4 dst, uint8_t protocol) {
  return (uint64_t{spi} << 32 | dst.v) ^ (uint64_t{protocol} << 56);
}
}  // namespace

Sa* Sad::inbound(uint32_t spi, Ipv4 dst, uint8_t protocol) const {
  auto it = inbound_.find(inbound_key(spi, dst, protocol));
  if (it == inbound_.end()) return nullptr;
  Sa* sa = it->second;
  return sa->spi == spi && sa->local == dst && sa->protocol == protocol ? sa : nullptr;
}

Sa* Sad::outbound(uint32_t policy_index, uint8_t protocol) const {
  if (policy_index >= outbound_.size()) return nullptr;
  return outbound_[policy_index][protocol == 51 ? 1 : 0];
}

Sa* Sad::outbound(const std::string& policy, uint32_t seq, uint8_t protocol) const {
  for (const auto& sa : sas_) {
    if (!sa->inbound && sa->policy == policy && sa->policy_seq == seq &&
        (protocol == 0 || sa->protocol == protocol)) {
      return sa.get();
    }
  }
  return nullptr;
}

void Sad::reindex() {
  inbound_.clear();
  outbound_.clear();
  for (const auto& sa : sas_) {
    if (sa->inbound) {
      inbound_.emplace(inbound_key(sa->spi, sa->local, sa->protocol), sa.get());
      continue;
    }
    if (sa->policy_index >= outbound_.size())
      outbound_.resize(sa->policy_index + 1, {nullptr, nullptr});
    // The newest SA of a policy entry sends: after a rekey, the new one; the old one stays for
    // what is still in flight towards it, until it is deleted.
    outbound_[sa->policy_index][sa->protocol == 51 ? 1 : 0] = sa.get();
  }
}

std::vector<std::string> Sad::sync_manual(const config::Config& cfg, uint32_t now) {
  std::vector<std::string> errors;
  std::vector<std::unique_ptr<Sa>> next;
  for (const auto& p : cfg.ipsec_policies) {
    if (!p.manual || !p.tunnel_remote) continue;
    const config::IpsecProposal* prop = nullptr;
    for (const auto& x : cfg.ipsec_proposals) {
      if (x.name == p.proposal) prop = &x;
    }
    const auto local = local_end(cfg, p);
    if (prop == nullptr || !local) continue;  // not applied anywhere yet, or no proposal
    // transform esp, ah, or ah-esp (both: ESP first, then AH over the ESP packet in transport
    // mode).
    std::vector<bool> protocols;  // true: ESP
    if (prop->transform != config::IpsecProposal::Transform::Ah) protocols.push_back(true);
    if (prop->transform != config::IpsecProposal::Transform::Esp) protocols.push_back(false);
    for (const bool esp : protocols)
      for (bool in : {true, false}) {
        const config::ManualSaKeys& k =
            esp ? (in ? p.esp_in : p.esp_out) : (in ? p.ah_in : p.ah_out);
        if (!k.spi) continue;
        const std::string label = p.name + " " + std::to_string(p.seq) +
                                  (in ? " inbound" : " outbound") + (esp ? " esp" : " ah");
        const Encryption enc =
            esp ? *encryption_from_keyword(prop->esp_encryption) : Encryption::None;
        const Authentication auth =
            *authentication_from_keyword(esp ? prop->esp_authentication : prop->ah_authentication);
        const bool outer_ah = !esp && prop->transform == config::IpsecProposal::Transform::AhEsp;
        const std::string fingerprint =
            std::string(esp ? "esp" : "ah") + std::to_string(*k.spi) + k.encryption_hex +
            k.authentication_hex + prop->esp_encryption + prop->esp_authentication +
            prop->ah_authentication + (prop->tunnel ? "T" : "t") + (outer_ah ? "O" : "") +
            to_string(local->first) + to_string(*p.tunnel_remote) +
            std::to_string(cfg.ipsec_anti_replay_window);
        auto kept = std::find_if(sas_.begin(), sas_.end(), [&](const std::unique_ptr<Sa>& sa) {
          return sa && sa->fingerprint == fingerprint && sa->inbound == in &&
                 sa->policy == p.name && sa->policy_seq == p.seq;
        });
        if (kept != sas_.end()) {
          (*kept)->policy_index = static_cast<uint32_t>(&p - cfg.ipsec_policies.data());
          next.push_back(std::move(*kept));
          continue;
        }
        const auto ek = from_hex(k.encryption_hex);
        const auto ak = from_hex(k.authentication_hex);
        SaSpec spec;
        spec.spi = *k.spi;
        spec.protocol = esp ? 50 : 51;
        spec.inbound = in;
        // Under ah-esp, AH protects the ESP packet as it is (tunnel header included): transport
        // mode.
        spec.tunnel = prop->tunnel && !outer_ah;
        spec.local = local->first;
        spec.remote = *p.tunnel_remote;
        spec.encryption = enc;
        spec.encryption_key = ek;
        spec.authentication = auth;
        spec.authentication_key = ak;
        spec.anti_replay_window = cfg.ipsec_anti_replay_window;
        spec.created = now;
        if (p.duration_time) spec.lifetime_seconds = *p.duration_time;
        if (p.duration_traffic) spec.lifetime_kilobytes = *p.duration_traffic;
        spec.policy = p.name;
        spec.policy_seq = p.seq;
        spec.policy_index = static_cast<uint32_t>(&p - cfg.ipsec_policies.data());
        spec.interface = local->second;
        spec.fingerprint = fingerprint;
        Expected<std::unique_ptr<Sa>> sa = make_sa(spec);
        if (!sa) {
          errors.push_back("ipsec policy " + label + ": " + sa.error().message);
          continue;
        }
        next.push_back(std::move(*sa));
      }
  }
  // Dynamic (IKE) SAs are kept as they are; manual ones not carried over are destroyed here.
  for (auto& sa : sas_) {
    if (sa && sa->fingerprint.empty()) next.push_back(std::move(sa));
  }
  sas_ = std::move(next);
  reindex();
  return errors;
}

void Sad::add_negotiated(std::unique_ptr<Sa> sa) {
  sa->fingerprint.clear();
  sas_.push_back(std::move(sa));
  reindex();
}

void Sad::remove_negotiated(uint32_t spi, bool inbound, uint8_t protocol) {
  std::erase_if(sas_, [&](const std::unique_ptr<Sa>& sa) {
    return sa->fingerprint.empty() && sa->spi == spi && sa->inbound == inbound &&
           sa->protocol == protocol;
  });
  reindex();
}

void Sad::renumber_negotiated(const config::Config& cfg) {
  std::erase_if(sas_, [&](std::unique_ptr<Sa>& sa) {
    if (!sa->fingerprint.empty()) return false;
    for (const auto& p : cfg.ipsec_policies) {
      if (p.name == sa->policy && p.seq == sa->policy_seq) {
        sa->policy_index = static_cast<uint32_t>(&p - cfg.ipsec_policies.data());
        return false;
      }
    }
    return true;
  });
  reindex();
}

Expected<std::unique_ptr<Sa>> make_sa(const SaSpec& spec) {
  auto sa = std::make_unique<Sa>();
  if (Status ready = sa->crypto.init(spec.encryption, spec.encryption_key, spec.authentication,
                                     spec.authentication_key, !spec.inbound);
      !ready)
    return Unexpected(std::move(ready).error());
  sa->spi = spec.spi;
  sa->protocol = spec.protocol;
  sa->inbound = spec.inbound;
  sa->tunnel = spec.tunnel;
  sa->local = spec.local;
  sa->remote = spec.remote;
  sa->udp_encapsulation = spec.udp_encapsulation;
  sa->remote_port = spec.remote_port;
  sa->sequence = spec.sequence;
  sa->replay = ReplayWindow(spec.anti_replay_window);
  sa->created = spec.created;
  sa->lifetime_seconds = spec.lifetime_seconds;
  sa->lifetime_kilobytes = spec.lifetime_kilobytes;
  sa->policy = spec.policy;
  sa->policy_seq = spec.policy_seq;
  sa->policy_index = spec.policy_index;
  sa->interface = spec.interface;
  sa->fingerprint = spec.fingerprint;
  sa->conn_id = spec.conn_id;
  return sa;
}

namespace {

// An SaSpec of sa as it stands, its keys read into ek and ak (which the spec points into).
SaSpec spec_of(const Sa& sa, std::vector<uint8_t>& ek, std::vector<uint8_t>& ak) {
  ek = from_hex(sa.crypto.encryption_key_hex());
  ak = from_hex(sa.crypto.authentication_key_hex());
  SaSpec spec;
  spec.spi = sa.spi;
  spec.protocol = sa.protocol;
  spec.inbound = sa.inbound;
  spec.tunnel = sa.tunnel;
  spec.local = sa.local;
  spec.remote = sa.remote;
  spec.udp_encapsulation = sa.udp_encapsulation;
  spec.remote_port = sa.remote_port;
  spec.encryption = sa.crypto.encryption();
  spec.encryption_key = ek;
  spec.authentication = sa.crypto.authentication();
  spec.authentication_key = ak;
  spec.sequence = sa.sequence;
  spec.created = sa.created;
  spec.lifetime_seconds = sa.lifetime_seconds;
  spec.lifetime_kilobytes = sa.lifetime_kilobytes;
  spec.policy = sa.policy;
  spec.policy_seq = sa.policy_seq;
  spec.policy_index = sa.policy_index;
  spec.interface = sa.interface;
  spec.fingerprint = sa.fingerprint;
  spec.conn_id = sa.conn_id;
  return spec;
}

}  // namespace

Expected<std::unique_ptr<Sa>> peer_of(const Sa& inbound) {
  std::vector<uint8_t> ek;
  std::vector<uint8_t> ak;
  SaSpec spec = spec_of(inbound, ek, ak);
  spec.inbound = false;
  std::swap(spec.local, spec.remote);
  spec.sequence = inbound.replay.highest();
  // The peer's SA is its own: not the lifetime, interface or origin of this device's.
  spec.created = 0;
  spec.lifetime_seconds = SaSpec{}.lifetime_seconds;
  spec.lifetime_kilobytes = SaSpec{}.lifetime_kilobytes;
  spec.interface.clear();
  spec.fingerprint.clear();
  spec.conn_id = 0;
  return make_sa(spec);
}

Expected<std::unique_ptr<Sa>> copy_of(const Sa& sa) {
  std::vector<uint8_t> ek;
  std::vector<uint8_t> ak;
  SaSpec spec = spec_of(sa, ek, ak);
  if (sa.inbound) spec.sequence = 0;  // a fresh anti-replay window
  return make_sa(spec);
}

std::string hex_spi(uint32_t spi) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%x", spi);
  return text;
}

namespace {}  // namespace

std::string wireshark_esp_sa(const Sa& sa) {
  const auto& ei = info(sa.crypto.encryption());
  const std::string auth = ei.aead ? "NULL" : std::string(info(sa.crypto.authentication()).tshark);
  char spi[16];
  std::snprintf(spi, sizeof spi, "0x%08x", sa.spi);
  return "\"IPv4\",\"*\",\"*\",\"" + std::string(spi) + "\",\"" + std::string(ei.tshark) +
         "\",\"0x" + sa.crypto.encryption_key_hex() + "\",\"" + auth + "\",\"" +
         (ei.aead ? std::string() : "0x" + sa.crypto.authentication_key_hex()) + "\"";
}

std::string describe(const Sa& sa) {
  const auto& ei = info(sa.crypto.encryption());
  std::string text = std::string(sa.protocol == ipproto::kAh ? "AH" : "ESP") + " SA spi " +
                     std::to_string(sa.spi) + " (" + hex_spi(sa.spi) + ") " +
                     // The way its packets go: an inbound SA's come from the peer.
                     to_string(sa.inbound ? sa.remote : sa.local) + " -> " +
                     to_string(sa.inbound ? sa.local : sa.remote) + ", " +
                     (sa.tunnel ? "tunnel" : "transport") + " mode, ";
  if (sa.protocol == ipproto::kAh) {
    text += "AH-" + std::string(info(sa.crypto.authentication()).display);
  } else {
    text += std::string(ei.display);
    if (!ei.aead) text += " ESP-AUTH-" + std::string(info(sa.crypto.authentication()).display);
  }
  if (sa.udp_encapsulation)
    text += ", UDP-encapsulated (NAT-T) port " + std::to_string(sa.remote_port);
  return text;
}

}  // namespace vfw::ipsec
