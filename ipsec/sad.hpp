// The security association database: every SA with its keys (prepared crypto contexts), sequence
// numbers, anti-replay window and counters. Manual SAs come from `ipsec policy ... manual`; IKE
// fills the same table. It lives in the runtime state, so SAs keep their counters and windows
// when the configuration changes around them.
#pragma once

#include <array>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/expected.hpp"
#include "config/model.hpp"
#include "ipsec/replay_window.hpp"
#include "ipsec/sa_crypto.hpp"
#include "packet/address.hpp"

namespace vfw::ipsec {

struct Sa {
  uint32_t spi = 0;
  uint8_t protocol = 50;  // ESP 50, AH 51
  bool inbound = false;
  bool tunnel = true;
  Ipv4 local;
  Ipv4 remote;
  bool udp_encapsulation = false;  // RFC 3948, when NAT-T is in use
  uint16_t remote_port = 4500;
  SaCrypto crypto;
  uint64_t sequence = 0;  // outbound: the last sent
  ReplayWindow replay;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint32_t created = 0;  // device seconds
  uint32_t lifetime_seconds = 3600;
  uint32_t lifetime_kilobytes = 10485760;
  // Where it came from: the policy, its ACL, and the interface it is applied to.
  std::string policy;
  uint32_t policy_seq = 0;
  uint32_t policy_index = 0;  // position of the policy entry in the configuration (SpdEntry::index)
  std::string interface;
  std::string fingerprint;  // the configuration it was made from, to notice a change; "" for IKE's
  uint32_t conn_id = 0;     // IKE's connection ID of the CHILD SA (display ike sa), 0 for manual
};

// Everything an SA is made from, whoever makes it (a manual policy, IKE, packet-trace's peer):
// make_sa is the one place an Sa is built, and it refuses keys of the wrong length.
struct SaSpec {
  uint32_t spi = 0;
  uint8_t protocol = 50;  // ESP 50, AH 51
  bool inbound = false;
  bool tunnel = true;
  Ipv4 local;
  Ipv4 remote;
  bool udp_encapsulation = false;
  uint16_t remote_port = 4500;
  Encryption encryption = Encryption::None;
  std::span<const uint8_t> encryption_key;  // with AES-GCM's 4-byte salt
  Authentication authentication = Authentication::None;
  std::span<const uint8_t> authentication_key;
  uint32_t anti_replay_window = 1024;  // inbound: the window, in packets
  uint64_t sequence = 0;               // outbound: the last sent
  uint32_t created = 0;
  uint32_t lifetime_seconds = 3600;
  uint32_t lifetime_kilobytes = 10485760;
  std::string policy;
  uint32_t policy_seq = 0;
  uint32_t policy_index = 0;
  std::string interface;
  std::string fingerprint;
  uint32_t conn_id = 0;
};

Expected<std::unique_ptr<Sa>> make_sa(const SaSpec& spec);

// "SA spi 1234 (0x4d2) 1.1.1.1 -> 2.1.1.1, tunnel mode, ESP-ENCRYPT-AES-256 ESP-AUTH-SHA2-256-128"
std::string describe(const Sa& sa);
// "0x1a2b": an SPI as the device's displays write it in hex.
std::string hex_spi(uint32_t spi);

// The SA as a line of Wireshark's esp_sa table (`tshark -o "uat:esp_sa:LINE"`):
// "IPv4","*","*","0xSPI","AES-CBC [RFC3602]","0xKEY","HMAC-SHA-256-128 [RFC4868]","0xKEY".
std::string wireshark_esp_sa(const Sa& sa);

// The SA the peer sends with to this inbound one: the same SPI and keys, keyed to encrypt, from
// the peer's side, its sequence just above what this device has accepted. packet-trace --reverse
// uses it to build the reply the peer would send through the tunnel.
Expected<std::unique_ptr<Sa>> peer_of(const Sa& inbound);

// The same SA for another device (a proof's copy, device/trace_fix_proof.hpp): the same SPI,
// direction and keys; an inbound copy's anti-replay window starts empty, so that the packet the
// original just accepted is accepted again.
Expected<std::unique_ptr<Sa>> copy_of(const Sa& sa);

class Sad {
 public:
  // Per packet: hash lookups and a vector index, no scan and no string compare.
  Sa* inbound(uint32_t spi, Ipv4 dst, uint8_t protocol) const;
  Sa* outbound(uint32_t policy_index, uint8_t protocol) const;
  // Control path (display, tests): by policy name and sequence number; protocol 0 takes the
  // first (ESP before AH).
  Sa* outbound(const std::string& policy, uint32_t seq, uint8_t protocol = 0) const;
  std::vector<std::unique_ptr<Sa>>& all() { return sas_; }
  const std::vector<std::unique_ptr<Sa>>& all() const { return sas_; }

  // Makes the manual SAs match the configuration: new ones keyed, changed ones re-keyed (and
  // their counters restarted), removed ones destroyed (keys wiped), unchanged ones kept as they
  // are. Returns errors for SAs whose keys are missing or of the wrong length.
  std::vector<std::string> sync_manual(const config::Config& cfg, uint32_t now);

  // The SAs IKE negotiates: added when a negotiation installs them, removed when it deletes them
  // (keys wiped). sync_manual leaves them alone.
  void add_negotiated(std::unique_ptr<Sa> sa);
  void remove_negotiated(uint32_t spi, bool inbound, uint8_t protocol);
  // After a configuration change: each negotiated SA's policy entry found again by name and
  // sequence number (its position may have moved); one whose entry is gone is removed.
  void renumber_negotiated(const config::Config& cfg);

 private:
  void reindex();  // after every change to sas_ (IKE's additions will call it too)
  std::vector<std::unique_ptr<Sa>> sas_;
  std::unordered_map<uint64_t, Sa*> inbound_;  // (protocol, SPI, destination)
  std::vector<std::array<Sa*, 2>> outbound_;   // by policy index: [ESP, AH]
};

}  // namespace vfw::ipsec
