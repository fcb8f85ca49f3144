#include "diagnose/negotiation_in_memory.hpp"

namespace vfw::diagnose {

NegotiationResult negotiate_in_memory(Device& initiator, Device& responder,
                                      const std::string& policy, uint32_t seq) {
  NegotiationResult r;
  const size_t initiator_before = initiator.ike().error_info().size();
  const size_t responder_before = responder.ike().error_info().size();
  r.started = initiator.ike_initiate(policy, seq);
  // Every exchange of either version ends within a few round trips; a side that stays silent
  // (a message it cannot read) ends the loop.
  constexpr int kMaxRounds = 30;
  for (int round = 0; round < kMaxRounds; ++round) {
    auto a = initiator.ike_take_datagrams();
    auto b = responder.ike_take_datagrams();
    if (a.empty() && b.empty()) break;
    for (const auto& d : a) responder.ike_receive(d.remote, d.local, d.bytes);
    for (const auto& d : b) initiator.ike_receive(d.remote, d.local, d.bytes);
  }
  r.up = initiator.runtime().sad.outbound(policy, seq) != nullptr;
  const auto& ie = initiator.ike().error_info();
  for (size_t i = initiator_before; i < ie.size(); ++i) r.initiator_errors.push_back(ie[i].record);
  const auto& re = responder.ike().error_info();
  for (size_t i = responder_before; i < re.size(); ++i) r.responder_errors.push_back(re[i].record);
  return r;
}

}  // namespace vfw::diagnose
