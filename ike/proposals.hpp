// SA payload proposals: what this side offers (from `ike proposal` and `ipsec proposal`) and the
// choice a responder makes among the peer's (RFC 7296 2.7, 3.3).
#pragma once

#include <optional>
#include <vector>

#include "ike/engine_config.hpp"
#include "ike/keys.hpp"
#include "ike/message.hpp"

namespace vfw::ike {

// One IKE proposal per `ike proposal` the peer names, numbered from 1.
std::vector<Proposal> ike_proposals(const PeerConfig& peer);

struct IkeChoice {
  IkeSuite suite;
  Proposal proposal;  // as the response's SA payload carries it: one transform of each type
  const IkeProposalConfig* config = nullptr;
};

// The first of the peer's proposals this side accepts, with a DH group equal to ke_group when
// that group is acceptable in it. nullopt: NO_PROPOSAL_CHOSEN.
// spi_size: 0 in IKE_SA_INIT, 8 when the IKE SA is rekeyed (the new SPI rides in the proposal).
std::optional<IkeChoice> choose_ike(const std::vector<Proposal>& offered, const PeerConfig& peer,
                                    uint16_t ke_group, size_t spi_size = 0);

// The suite the responder chose, checked to be one this side offered. nullopt when it is not.
std::optional<IkeSuite> accept_ike(const Proposal& chosen, const PeerConfig& peer);

// The CHILD SA proposal of an ipsec policy entry, with this side's SPI; with the PFS group when
// with_pfs (CREATE_CHILD_SA; IKE_AUTH carries no KE, RFC 7296 1.2).
Proposal child_proposal(const ChildConfig& child, uint32_t spi, bool with_pfs);

// The peer's proposal that matches the entry's, as the response carries it (with this side's SPI
// in place of the peer's); the peer's SPI in peer_spi. nullopt: NO_PROPOSAL_CHOSEN.
std::optional<Proposal> choose_child(const std::vector<Proposal>& offered, const ChildConfig& child,
                                     uint32_t own_spi, bool with_pfs, uint32_t& peer_spi);

// The responder's answer checked against what was offered; the responder's SPI in peer_spi.
bool accept_child(const Proposal& chosen, const ChildConfig& child, bool with_pfs,
                  uint32_t& peer_spi);

// "AES-256 HMAC-SHA2-256 MODP-2048": what a proposal holds, for diagnostics.
std::string describe(const Proposal& p);

// The narrowed selectors both sides protect: the intersection of the peer's with the entry's;
// empty when they do not meet (TS_UNACCEPTABLE).
std::vector<TrafficSelector> intersect(const std::vector<TrafficSelector>& theirs,
                                       const std::vector<TrafficSelector>& ours);
std::string describe(const std::vector<TrafficSelector>& ts);

}  // namespace vfw::ike
