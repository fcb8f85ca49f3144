#include "device/device.hpp"

#include <algorithm>
#include <array>

namespace vfw {

Device::Device(config::Config cfg, uint32_t session_capacity)
    : config_(std::move(cfg)), runtime_(session_capacity) {
  apply();
}

void Device::apply() {
  snapshot_ = compile(config_);
  runtime_.security_hits.assign(snapshot_->security.rules().size(), 0);
}

void Device::replace(config::Config cfg) {
  config_ = std::move(cfg);
  apply();
}

Action Device::receive(uint8_t* packet, uint32_t length, uint16_t interface, Trace* trace,
                       std::vector<EmittedPacket>* emitted) {
  PacketContext ctx;
  ctx.ip = packet;
  ctx.length = length;
  ctx.snap = snapshot_.get();
  ctx.rt = &runtime_;
  ctx.now = now_;
  ctx.trace = trace;
  ctx.emitted = emitted;
  ctx.in_if = interface;
  if (trace != nullptr) trace->device = config_.sysname;
  return pipeline_.process(ctx);
}

void Device::receive_batch(uint8_t* const* packets, const uint32_t* lengths, size_t count,
                           uint16_t interface, Action* actions) {
  std::array<PacketContext, kMaxBatch> batch;
  for (size_t done = 0; done < count; done += kMaxBatch) {
    const size_t n = std::min(kMaxBatch, count - done);
    for (size_t i = 0; i < n; ++i) {
      PacketContext& ctx = batch[i];
      ctx = PacketContext{};
      ctx.ip = packets[done + i];
      ctx.length = lengths[done + i];
      ctx.snap = snapshot_.get();
      ctx.rt = &runtime_;
      ctx.now = now_;
      ctx.in_if = interface;
    }
    pipeline_.process_batch({batch.data(), n}, actions + done);
  }
}

Action Device::receive(std::vector<uint8_t>& packet, const std::string& interface, Trace* trace,
                       std::vector<EmittedPacket>* emitted) {
  return receive(packet.data(), static_cast<uint32_t>(packet.size()),
                 snapshot_->interface_index(interface), trace, emitted);
}

}  // namespace vfw
