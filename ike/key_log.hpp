// The IKE SA keys an engine derived, as Wireshark's ISAKMP dissector takes them (its
// ikev2_decryption_table and ikev1_decryption_table, files of a Wireshark profile folder or
// `tshark -o uat:ikev2_decryption_table:RECORD`): with them a capture shows what IKE encrypts, the
// identities, the traffic selectors and the proposals a learner hunts a failure in. A record is
// kept from the moment the keys are derived, so a negotiation that failed in IKE_AUTH or main
// mode's last messages can be read too; the log keeps the last kMaxRecords.
//
// Keys are secrets: only the lab (whose keys come from seeded generators) and `vfw run --keys
// DIR`, which an operator asks for, write them out.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <string>

#include "ike/keys.hpp"

namespace vfw::ike {

class KeyLog {
 public:
  static constexpr size_t kMaxRecords = 256;
  void add(std::string record) {
    records_.push_back(std::move(record));
    if (records_.size() > kMaxRecords) records_.pop_front();
    ++added_;
  }
  const std::deque<std::string>& records() const { return records_; }
  // How many were ever added: a writer compares it to see that something changed.
  uint64_t added() const { return added_; }

 private:
  std::deque<std::string> records_;
  uint64_t added_ = 0;
};

// One record of ikev2_decryption_table: the SPIs, SK_ei, SK_er, the cipher, SK_ai, SK_ar and the
// integrity algorithm, in Wireshark's names ("NONE [RFC4306]" with AES-GCM).
std::string ikev2_decryption_record(uint64_t spi_i, uint64_t spi_r, const IkeSuite& suite,
                                    const IkeSaKeys& keys);
// One record of ikev1_decryption_table: the initiator's cookie and the phase 1 encryption key.
std::string ikev1_decryption_record(uint64_t cky_i, std::span<const uint8_t> key);

}  // namespace vfw::ike
