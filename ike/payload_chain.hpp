// The chain of generic payloads both IKE versions share (RFC 2408 3.2, RFC 7296 3.2): each
// payload starts with its successor's type, a flags byte and its own length, so writing one means
// patching the previous payload's Next Payload. IKEv2's and IKEv1's writers add their payload
// bodies on top of this.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace vfw::ike {

class PayloadChain {
 public:
  // A payload of type with body; critical sets IKEv2's critical bit (IKEv1 keeps the byte zero).
  void add(uint8_t type, std::span<const uint8_t> body, bool critical = false);
  // Another chain after this one's payloads.
  void append_chain(const PayloadChain& other);

  uint8_t first() const { return first_; }  // the type of the first payload (0: none)
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

 private:
  std::vector<uint8_t> bytes_;
  uint8_t first_ = 0;
  size_t last_header_ = SIZE_MAX;  // where the last payload's header starts
};

}  // namespace vfw::ike
