// What the IKE engine knows of the configuration: the peers (`ike peer`, with their `ike proposal`s
// resolved to algorithms and the pre-shared key opened) and the ISAKMP ipsec policy entries
// (`ipsec policy NAME SEQ isakmp`, or a template's), with their flows and ipsec proposal resolved.
// The device builds it from its configuration model; the engine never reads the model itself.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ike/ike_algorithms.hpp"
#include "ike/ikev1_keys.hpp"
#include "ike/message.hpp"
#include "ipsec/algorithms.hpp"

namespace vfw::ike {

struct IkeProposalConfig {
  uint32_t number = 0;  // 0: the built-in default proposal
  std::vector<const EncryptionAlgorithm*> encryption;
  std::vector<const PrfAlgorithm*> prf;
  std::vector<const IntegrityAlgorithm*> integrity;
  std::vector<const DhGroup*> dh;
  // IKEv1's view of the same proposal: its ciphers and `authentication-algorithm` hashes.
  std::vector<const v1::Cipher*> v1_encryption;
  std::vector<const v1::Hash*> v1_hash;
  uint32_t lifetime_seconds = 86400;
};

struct PeerConfig {
  std::string name;
  std::vector<IkeProposalConfig> proposals;  // in the order offered
  std::string pre_shared_key;                // in clear, opened from the configuration's form
  std::optional<Ipv4> remote_address;
  bool any_address = false;  // a template's peer without remote-address: answers any peer
  Identification local_id;   // what IDi/IDr carries for this side
  std::optional<Identification> remote_id;  // the peer's identity must be this when set
  bool nat_traversal = true;
  bool version1 = true;     // IKEv1 answered (and used to initiate when version 2 is off)
  bool version2 = true;     // IKEv2 answered and used to initiate
  bool aggressive = false;  // exchange-mode aggressive: IKEv1 phase 1 in three messages
  uint32_t dpd_seconds =
      0;  // dpd type periodic: a liveness check after this long without a message
};

struct ChildConfig {
  std::string policy;
  uint32_t seq = 0;
  size_t peer = 0;  // index into EngineConfig::peers
  Ipv4 local_address;
  std::vector<TrafficSelector> local_ts;   // from the security ACL's permit rules: sources
  std::vector<TrafficSelector> remote_ts;  // and destinations
  uint8_t protocol = 3;                    // protocol::kEsp or kAh
  bool tunnel = true;
  ipsec::Encryption encryption = ipsec::Encryption::Aes256;
  ipsec::Authentication authentication = ipsec::Authentication::Sha256;
  const DhGroup* pfs = nullptr;
  // ipsec sha2 compatible enable: an IKEv1 SA negotiated with HMAC-SHA2-256 truncates it to 96
  // bits, as peers from before RFC 4868 do (IKEv2 names each truncation, so it is unaffected).
  bool sha2_compatible = false;
  uint32_t lifetime_seconds = 3600;
  uint32_t lifetime_kilobytes = 10485760;
  bool responder_only = false;  // from an ipsec policy-template: never initiates
  bool auto_negotiate = false;  // sa trigger-mode auto, ipsec policy NAME auto-neg: before traffic
  uint32_t policy_index = 0;    // the SPD entry it protects (ipsec::SpdEntry::index)
  std::string interface;        // where the policy is applied
  uint32_t ifindex = 0;         // that interface's index, as the device's debugging prints it
};

struct EngineConfig {
  std::vector<PeerConfig> peers;
  std::vector<ChildConfig> children;
};

}  // namespace vfw::ike
