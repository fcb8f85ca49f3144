// Wireshark's decryption tables for what devices negotiated: `esp_sa` (the IPSec SAs they hold)
// and `ikev2_decryption_table` / `ikev1_decryption_table` (the keys of every IKE SA their engines
// derived, ike/key_log.hpp), one record a line, each record once however many devices hold it.
// The files of these names in a Wireshark profile folder are what Wireshark reads: `lab keys DIR`
// and `vfw run --keys DIR` write them there.
#pragma once

#include <string>
#include <vector>

#include "device/device.hpp"

namespace vfw {

struct WiresharkTables {
  std::vector<std::string> esp_sa, ikev2, ikev1;
};

WiresharkTables wireshark_tables(const std::vector<const Device*>& devices);

// Writes the three files into dir, each through a temporary file renamed over it. "" or why not.
std::string write_wireshark_tables(const std::string& dir, const WiresharkTables& t);

}  // namespace vfw
