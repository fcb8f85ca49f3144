// Stage "ingress": the packet arrives on an interface. The interface must be one of the device's,
// the bytes a valid IPv4 packet (version, lengths, checksum, fragment fields: a failure is a named
// drop); the packet's zone is the interface's, and its flow as it arrived is recorded for the
// stages that follow. The batch path runs this stage for a whole batch first, so that the
// session lookups of the batch can be prefetched with the flows it records.
#pragma once

#include "pipeline/stage.hpp"

namespace vfw {

class IngressStage final : public Stage {
 public:
  StageId id() const override { return StageId::Ingress; }
  Verdict process(PacketContext& ctx) const override;
  bool batch_first() const override { return true; }
  void process_batch(std::span<PacketContext> batch, uint8_t index) const override;
};

}  // namespace vfw
