#include "ike/payload_chain.hpp"

namespace vfw::ike {

void PayloadChain::add(uint8_t type, std::span<const uint8_t> body, bool critical) {
  if (last_header_ == SIZE_MAX) {
    first_ = type;
  } else {
    bytes_[last_header_] = type;
  }
  last_header_ = bytes_.size();
  const size_t length = 4 + body.size();
  bytes_.push_back(0);  // Next Payload: none, until a payload follows
  bytes_.push_back(critical ? 0x80 : 0);
  bytes_.push_back(static_cast<uint8_t>(length >> 8));
  bytes_.push_back(static_cast<uint8_t>(length));
  bytes_.insert(bytes_.end(), body.begin(), body.end());
}

void PayloadChain::append_chain(const PayloadChain& other) {
  if (other.bytes_.empty()) return;
  if (last_header_ == SIZE_MAX) {
    first_ = other.first_;
  } else {
    bytes_[last_header_] = other.first_;
  }
  last_header_ = bytes_.size() + other.last_header_;
  bytes_.insert(bytes_.end(), other.bytes_.begin(), other.bytes_.end());
}

}  // namespace vfw::ike
