// OpenSSL failing under an exchange: a digest, MAC or cipher the library does not have (a FIPS
// build, a provider not loaded), deep inside key derivation where no caller could do better.
//
// The key functions throw it; each engine's entry points (receive, initiate, tick) catch it and
// record the negotiation as failed, so that nothing an OpenSSL build lacks ever ends the daemon.
#pragma once

#include <stdexcept>
#include <string>

namespace vfw::ike {

class CryptoFailure : public std::runtime_error {
 public:
  explicit CryptoFailure(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace vfw::ike
