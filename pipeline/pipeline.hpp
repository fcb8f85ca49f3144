// The forwarding pipeline: the stages in the device's order, as data.
//
// session -> server-map -> dnat -> route -> security-policy -> snat -> ipsec -> egress
// (seed document, "IPSec Packet Forwarding Process"; docs/forwarding-order.md). A session hit
// skips to the stages marked on_fast_path().
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pipeline/stage.hpp"

namespace vfw {

class Pipeline {
 public:
  // The standard USG order.
  Pipeline();
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) : stages_(std::move(stages)) {}

  // Runs one packet (ctx.ip/length/in_if/snap/rt/now set by the caller) through ingress
  // validation and every stage. Counts drops by reason.
  Action process(PacketContext& ctx) const;

  std::vector<std::string_view> order() const;

 private:
  std::vector<std::unique_ptr<Stage>> stages_;
};

}  // namespace vfw
