// The forwarding pipeline: the stages in the device's order, as data.
//
// ingress -> ipsec-inbound -> session -> server-map -> dnat -> route -> security-policy -> snat
// -> tcp-mss -> ipsec -> egress (seed document, "IPSec Packet Forwarding Process";
// docs/forwarding-order.md). A session hit skips to the stages marked on_fast_path(). The first
// stage is ingress validation: the batch path runs it for every packet of a batch first.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "pipeline/stage.hpp"

namespace vfw {

class Pipeline {
 public:
  // The stages in order (stages/standard_stages.hpp has the device's).
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages);

  // Runs one packet (ctx.ip/length/in_if/snap/rt/now set by the caller) through every stage.
  // Counts drops by reason.
  Action process(PacketContext& ctx) const;

  // The same for a batch: validation and session-table prefetches for every packet first, then
  // the stages packet by packet, so that the memory latency of one lookup hides behind another.
  void process_batch(std::span<PacketContext> batch, Action* actions) const;

  std::vector<std::string_view> order() const;

  // The stages idle under snap (Stage::idle), as Snapshot::idle_stages keeps them.
  uint32_t idle_stages(const Snapshot& snap) const;

 private:
  Action run_stages(PacketContext& ctx, size_t first) const;
  std::vector<std::unique_ptr<Stage>> stages_;
  // Where a session hit goes on: for each position, the next stage that runs on the fast path
  // (stages_.size() when none does).
  std::vector<size_t> fast_next_;
  // How many stages lead the pipeline with batch_first(): the batch path runs each over the
  // whole batch, then the rest packet by packet.
  size_t batch_first_ = 0;
};

}  // namespace vfw
