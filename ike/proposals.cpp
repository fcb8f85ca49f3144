#include "ike/proposals.hpp"

#include <algorithm>

#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

Transform encryption_transform(const EncryptionAlgorithm& e) {
  Transform t{transform::kEncryption, e.transform_id, std::nullopt};
  if (e.key_bits != 0) t.key_bits = e.key_bits;
  return t;
}

// The ESP/AH transforms of ipsec proposal algorithms: the IKEv2 columns of ipsec/algorithms.
std::optional<Transform> esp_encryption(ipsec::Encryption e) {
  const ipsec::EncryptionInfo& i = ipsec::info(e);
  if (i.ikev2_encr == 0) return std::nullopt;
  return Transform{transform::kEncryption, i.ikev2_encr,
                   i.key_bits != 0 ? std::optional<uint16_t>(i.key_bits) : std::nullopt};
}

std::optional<Transform> esp_integrity(ipsec::Authentication a) {
  const ipsec::AuthenticationInfo& i = ipsec::info(a);
  if (i.ikev2_integ == 0) return std::nullopt;
  return Transform{transform::kIntegrity, i.ikev2_integ, std::nullopt};
}

bool has(const Proposal& p, const Transform& t) {
  return std::find(p.transforms.begin(), p.transforms.end(), t) != p.transforms.end();
}

bool has_type(const Proposal& p, uint8_t type) {
  return std::any_of(p.transforms.begin(), p.transforms.end(),
                     [&](const Transform& t) { return t.type == type; });
}

template <typename T>
bool contains(const std::vector<const T*>& list, const T* item) {
  return item != nullptr && std::find(list.begin(), list.end(), item) != list.end();
}

uint32_t spi_of(const Proposal& p) {
  return p.spi.size() == 4 ? load32(p.spi.data()) : 0;
}

Bytes spi_bytes(uint32_t spi) {
  Bytes b(4);
  store32(b.data(), spi);
  return b;
}

bool aead(const ChildConfig& c) {
  return ipsec::info(c.encryption).aead;
}

}  // namespace

std::vector<Proposal> ike_proposals(const PeerConfig& peer) {
  std::vector<Proposal> out;
  for (const auto& config : peer.proposals) {
    Proposal p;
    p.number = static_cast<uint8_t>(out.size() + 1);
    p.protocol = protocol::kIke;
    bool any_aead = false;
    for (const auto* e : config.encryption) {
      p.transforms.push_back(encryption_transform(*e));
      any_aead = any_aead || e->aead;
    }
    for (const auto* f : config.prf)
      p.transforms.push_back({transform::kPrf, f->transform_id, std::nullopt});
    // RFC 7296 3.3: a proposal with only AEAD ciphers carries no integrity transform.
    if (!any_aead) {
      for (const auto* i : config.integrity)
        p.transforms.push_back({transform::kIntegrity, i->transform_id, std::nullopt});
    }
    for (const auto* g : config.dh)
      p.transforms.push_back({transform::kDhGroup, g->number, std::nullopt});
    out.push_back(std::move(p));
  }
  return out;
}

std::optional<IkeChoice> choose_ike(const std::vector<Proposal>& offered, const PeerConfig& peer,
                                    uint16_t ke_group, size_t spi_size) {
  for (const auto& theirs : offered) {
    if (theirs.protocol != protocol::kIke || theirs.spi.size() != spi_size) continue;
    for (const auto& ours : peer.proposals) {
      IkeChoice c;
      c.config = &ours;
      for (const auto& t : theirs.transforms) {
        if (t.type == transform::kEncryption && c.suite.encryption == nullptr) {
          const auto* e = find_encryption(t.id, t.key_bits.value_or(0));
          if (contains(ours.encryption, e)) c.suite.encryption = e;
        } else if (t.type == transform::kPrf && c.suite.prf == nullptr) {
          const auto* f = find_prf(t.id);
          if (contains(ours.prf, f)) c.suite.prf = f;
        } else if (t.type == transform::kIntegrity && c.suite.integrity == nullptr) {
          const auto* i = find_integrity(t.id);
          if (contains(ours.integrity, i)) c.suite.integrity = i;
        } else if (t.type == transform::kDhGroup) {
          const auto* g = find_dh_group(t.id);
          if (contains(ours.dh, g) && (c.suite.dh == nullptr || g->number == ke_group))
            c.suite.dh = g;
        }
      }
      if (c.suite.encryption == nullptr || c.suite.prf == nullptr || c.suite.dh == nullptr)
        continue;
      if (c.suite.encryption->aead) {
        c.suite.integrity = nullptr;
      } else if (c.suite.integrity == nullptr) {
        continue;
      }
      c.proposal.number = theirs.number;
      c.proposal.protocol = protocol::kIke;
      c.proposal.transforms.push_back(encryption_transform(*c.suite.encryption));
      c.proposal.transforms.push_back({transform::kPrf, c.suite.prf->transform_id, std::nullopt});
      if (c.suite.integrity != nullptr)
        c.proposal.transforms.push_back(
            {transform::kIntegrity, c.suite.integrity->transform_id, std::nullopt});
      c.proposal.transforms.push_back({transform::kDhGroup, c.suite.dh->number, std::nullopt});
      return c;
    }
  }
  return std::nullopt;
}

std::optional<IkeSuite> accept_ike(const Proposal& chosen, const PeerConfig& peer) {
  IkeSuite s;
  for (const auto& t : chosen.transforms) {
    if (t.type == transform::kEncryption && s.encryption == nullptr)
      s.encryption = find_encryption(t.id, t.key_bits.value_or(0));
    if (t.type == transform::kPrf && s.prf == nullptr) s.prf = find_prf(t.id);
    if (t.type == transform::kIntegrity && s.integrity == nullptr)
      s.integrity = find_integrity(t.id);
    if (t.type == transform::kDhGroup && s.dh == nullptr) s.dh = find_dh_group(t.id);
  }
  if (s.encryption == nullptr || s.prf == nullptr || s.dh == nullptr) return std::nullopt;
  if (!s.encryption->aead && s.integrity == nullptr) return std::nullopt;
  if (s.encryption->aead) s.integrity = nullptr;
  for (const auto& ours : peer.proposals) {
    if (contains(ours.encryption, s.encryption) && contains(ours.prf, s.prf) &&
        contains(ours.dh, s.dh) &&
        (s.integrity == nullptr || contains(ours.integrity, s.integrity)))
      return s;
  }
  return std::nullopt;
}

Proposal child_proposal(const ChildConfig& child, uint32_t spi, bool with_pfs) {
  Proposal p;
  p.number = 1;
  p.protocol = child.protocol;
  p.spi = spi_bytes(spi);
  if (child.protocol == protocol::kEsp) {
    if (auto e = esp_encryption(child.encryption)) p.transforms.push_back(*e);
  }
  if (child.protocol == protocol::kAh || !aead(child)) {
    if (auto i = esp_integrity(child.authentication)) p.transforms.push_back(*i);
  }
  if (with_pfs && child.pfs != nullptr)
    p.transforms.push_back({transform::kDhGroup, child.pfs->number, std::nullopt});
  p.transforms.push_back({transform::kEsn, 0, std::nullopt});
  return p;
}

std::optional<Proposal> choose_child(const std::vector<Proposal>& offered, const ChildConfig& child,
                                     uint32_t own_spi, bool with_pfs, uint32_t& peer_spi) {
  const Proposal ours = child_proposal(child, own_spi, with_pfs);
  for (const auto& theirs : offered) {
    if (theirs.protocol != child.protocol || theirs.spi.size() != 4) continue;
    bool ok = true;
    for (const auto& t : ours.transforms) {
      // No ESN transform offered means no ESN (RFC 7296 3.3.3 makes it mandatory, but be lenient).
      if (t.type == transform::kEsn && !has_type(theirs, transform::kEsn)) continue;
      ok = ok && has(theirs, t);
    }
    // PFS: in CREATE_CHILD_SA both sides must agree on a group, or both on none.
    if (with_pfs && child.pfs == nullptr && has_type(theirs, transform::kDhGroup)) {
      const bool offers_none = has(theirs, Transform{transform::kDhGroup, 0, std::nullopt});
      ok = ok && offers_none;
    }
    if (!ok) continue;
    peer_spi = spi_of(theirs);
    Proposal answer = ours;
    answer.number = theirs.number;
    if (!has_type(theirs, transform::kEsn)) {
      answer.transforms.erase(
          std::remove_if(answer.transforms.begin(), answer.transforms.end(),
                         [](const Transform& t) { return t.type == transform::kEsn; }),
          answer.transforms.end());
    }
    return answer;
  }
  return std::nullopt;
}

bool accept_child(const Proposal& chosen, const ChildConfig& child, bool with_pfs,
                  uint32_t& peer_spi) {
  if (chosen.protocol != child.protocol || chosen.spi.size() != 4) return false;
  const Proposal ours = child_proposal(child, 0, with_pfs);
  for (const auto& t : chosen.transforms) {
    if (!has(ours, t)) return false;
  }
  for (const auto& t : ours.transforms) {
    if (t.type != transform::kEsn && !has(chosen, t)) return false;
  }
  peer_spi = spi_of(chosen);
  return true;
}

std::string describe(const Proposal& p) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : " ") + s; };
  for (const auto& t : p.transforms) {
    switch (t.type) {
      case transform::kEncryption: {
        const auto* e = find_encryption(t.id, t.key_bits.value_or(0));
        add(e != nullptr ? std::string(e->display)
                         : "ENCR-" + std::to_string(t.id) +
                               (t.key_bits ? "-" + std::to_string(*t.key_bits) : ""));
        break;
      }
      case transform::kPrf: {
        const auto* f = find_prf(t.id);
        add(f != nullptr ? "PRF-" + std::string(f->display) : "PRF-" + std::to_string(t.id));
        break;
      }
      case transform::kIntegrity: {
        const auto* i = find_integrity(t.id);
        add(i != nullptr ? std::string(i->display) : "INTEG-" + std::to_string(t.id));
        break;
      }
      case transform::kDhGroup: {
        const auto* g = find_dh_group(t.id);
        add(g != nullptr ? std::string(g->display) : "DH-" + std::to_string(t.id));
        break;
      }
      case transform::kEsn:
        add(t.id == 0 ? "NO-ESN" : "ESN");
        break;
      default:
        add("T" + std::to_string(t.type) + "-" + std::to_string(t.id));
    }
  }
  return out;
}

std::vector<TrafficSelector> intersect(const std::vector<TrafficSelector>& theirs,
                                       const std::vector<TrafficSelector>& ours) {
  std::vector<TrafficSelector> out;
  for (const auto& a : theirs) {
    for (const auto& b : ours) {
      if (a.ip_protocol != 0 && b.ip_protocol != 0 && a.ip_protocol != b.ip_protocol) continue;
      TrafficSelector t;
      t.ip_protocol = a.ip_protocol != 0 ? a.ip_protocol : b.ip_protocol;
      t.start = std::max(a.start, b.start);
      t.end = std::min(a.end, b.end);
      t.start_port = std::max(a.start_port, b.start_port);
      t.end_port = std::min(a.end_port, b.end_port);
      if (t.start > t.end || t.start_port > t.end_port) continue;
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

std::string describe(const std::vector<TrafficSelector>& ts) {
  std::string out;
  for (const auto& t : ts) {
    if (!out.empty()) out += ", ";
    out += to_string(t.start) + "-" + to_string(t.end);
    if (t.ip_protocol != 0) out += " protocol " + std::to_string(t.ip_protocol);
    if (t.start_port != 0 || t.end_port != 65535)
      out += " ports " + std::to_string(t.start_port) + "-" + std::to_string(t.end_port);
  }
  return out.empty() ? "none" : out;
}

}  // namespace vfw::ike
