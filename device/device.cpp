#include "device/device.hpp"

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

Action Device::receive(std::vector<uint8_t>& packet, const std::string& interface, Trace* trace,
                       std::vector<EmittedPacket>* emitted) {
  return receive(packet.data(), static_cast<uint32_t>(packet.size()), snapshot_->interface_index(interface),
                 trace, emitted);
}

}  // namespace vfw
