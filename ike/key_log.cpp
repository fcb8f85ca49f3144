#include "ike/key_log.hpp"

#include <cstdio>

#include "ike/ike_algorithms.hpp"
#include "packet/packet.hpp"

namespace vfw::ike {
namespace {

std::string spi_hex(uint64_t spi) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(spi));
  return text;
}

}  // namespace

std::string ikev2_decryption_record(uint64_t spi_i, uint64_t spi_r, const IkeSuite& suite,
                                    const IkeSaKeys& keys) {
  const std::string_view integrity =
      suite.integrity != nullptr ? suite.integrity->wireshark : std::string_view("NONE [RFC4306]");
  return spi_hex(spi_i) + "," + spi_hex(spi_r) + "," + to_hex(keys.ei) + "," + to_hex(keys.er) +
         ",\"" + std::string(suite.encryption->wireshark) + "\"," + to_hex(keys.ai) + "," +
         to_hex(keys.ar) + ",\"" + std::string(integrity) + "\"";
}

std::string ikev1_decryption_record(uint64_t cky_i, std::span<const uint8_t> key) {
  return spi_hex(cky_i) + "," + to_hex(key);
}

}  // namespace vfw::ike
