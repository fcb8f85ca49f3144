// What an IKE engine (IKEv2's or IKEv1's) hands to whoever runs it: datagrams to send, CHILD SAs
// (IPsec SAs) to install in the data plane or remove, and the failures in the device's words.
// Both engines speak this, so the device, the daemon and the displays treat them alike.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ike/failure_reason.hpp"
#include "ike/message.hpp"
#include "ipsec/algorithms.hpp"

namespace vfw::ike {

struct Endpoint {
  Ipv4 address;
  uint16_t port = kIkePort;
  bool operator==(const Endpoint&) const = default;
};

// A datagram to send from local to remote. On port 4500 the sender puts the non-ESP marker
// (four zero bytes, RFC 3948 2.2) before the IKE message; bytes does not hold it.
struct Datagram {
  Endpoint local;
  Endpoint remote;
  Bytes bytes;
  bool keepalive = false;  // a NAT keepalive (the single byte 0xFF): sent without the marker
};

// A CHILD SA pair ready for the data plane: both directions' SPIs and keys.
struct ChildSaInstall {
  size_t child = 0;  // index into EngineConfig::children
  uint32_t conn_id = 0;
  Ipv4 local;
  Ipv4 remote;
  bool udp_encapsulation = false;  // NAT detected: ESP in UDP 4500 (RFC 3948)
  uint16_t remote_port = kNatTraversalPort;
  uint8_t protocol = protocol::kEsp;
  bool tunnel = true;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  ipsec::Encryption encryption = ipsec::Encryption::None;
  ipsec::Authentication authentication = ipsec::Authentication::None;
  Bytes encryption_key_in, authentication_key_in, encryption_key_out, authentication_key_out;
  std::vector<TrafficSelector> local_ts, remote_ts;
  uint32_t lifetime_seconds = 3600;
  uint32_t lifetime_kilobytes = 0;
};

struct ChildSaRemoval {
  size_t child = 0;
  uint8_t protocol = protocol::kEsp;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
};

// A negotiation that failed on this side, for one of the seed's error-info reasons
// (failure_reason.hpp), with the notification sent or received.
struct ErrorRecord {
  Ipv4 peer;
  uint16_t peer_port = kIkePort;
  Failure reason = Failure::NegotiationRefused;
  std::string detail;  // what exactly did not match, for `display ike error-info` and the trace
  uint16_t notify = 0;
  uint64_t at_ms = 0;
  size_t peer_index = SIZE_MAX;  // EngineConfig::peers, when known
  size_t child = SIZE_MAX;       // EngineConfig::children, when known
  uint8_t version = 2;           // the IKE version of the negotiation that failed
  // The device's own debugging lines around the record, as `debugging ikev1 error` prints them
  // ("17:5773 Message from peer 2.1.1.1: Got NOTIFY of type NO_PROPOSAL_CHOSEN"): before and
  // after the error-info record line.
  std::vector<std::string> debug_before, debug_after;

  static ErrorRecord make(Ipv4 peer, uint16_t port, Failure reason, std::string detail,
                          uint16_t notify, uint64_t at_ms, uint8_t version) {
    ErrorRecord e;
    e.peer = peer;
    e.peer_port = port;
    e.reason = reason;
    e.detail = std::move(detail);
    e.notify = notify;
    e.at_ms = at_ms;
    e.version = version;
    return e;
  }
};

struct ChildSa {
  size_t child = 0;
  uint32_t conn_id = 0;
  uint8_t protocol = protocol::kEsp;
  uint32_t spi_in = 0;
  uint32_t spi_out = 0;
  uint64_t established_ms = 0;
  uint64_t rekey_at_ms = UINT64_MAX;   // soft lifetime: a new CHILD SA is negotiated
  uint64_t expire_at_ms = UINT64_MAX;  // hard lifetime: deleted
  std::vector<TrafficSelector> local_ts, remote_ts;
};

}  // namespace vfw::ike
