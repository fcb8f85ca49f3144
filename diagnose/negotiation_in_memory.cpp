#include "diagnose/negotiation_in_memory.hpp"

namespace vfw::diagnose {

NegotiationResult negotiate_in_memory(Device& initiator, Device& responder,
                                      const std::string& policy, uint32_t seq,
                                      bool through_first_rekey) {
  NegotiationResult r;
  const size_t initiator_before = initiator.ike().error_info().size();
  const size_t responder_before = responder.ike().error_info().size();
  r.started = initiator.ike_initiate(policy, seq);
  // Every exchange of either version ends within a few round trips; a side that stays silent
  // (a message it cannot read) ends the loop.
  constexpr int kMaxRounds = 30;
  auto exchange = [&] {
    for (int round = 0; round < kMaxRounds; ++round) {
      auto a = initiator.ike_take_datagrams();
      auto b = responder.ike_take_datagrams();
      if (a.empty() && b.empty()) break;
      for (const auto& d : a) responder.ike_receive(d.remote, d.local, d.bytes);
      for (const auto& d : b) initiator.ike_receive(d.remote, d.local, d.bytes);
    }
  };
  exchange();
  r.up = initiator.runtime().sad.outbound(policy, seq) != nullptr;
  if (r.up && through_first_rekey) {
    // The first rekey, which IKEv2's PFS first meets (IKE_AUTH carries no key exchange): the
    // clocks go on a minute at a time until the initiator's outbound SA is a new one, at most to
    // the SA's hard lifetime. Both sides' records of it are the negotiation's too.
    const uint32_t first_spi = initiator.runtime().sad.outbound(policy, seq)->spi;
    const uint32_t start = initiator.now();
    constexpr uint32_t kStepSeconds = 60;
    constexpr uint32_t kLongestLifetime = 2 * 86400;
    for (uint32_t t = kStepSeconds; t <= kLongestLifetime && !r.rekeyed; t += kStepSeconds) {
      initiator.set_time(start + t);
      responder.set_time(responder.now() + kStepSeconds);
      initiator.ike_tick();
      responder.ike_tick();
      exchange();
      const auto* now = initiator.runtime().sad.outbound(policy, seq);
      if (now == nullptr) break;  // deleted at its hard lifetime: not renewed
      r.rekeyed = now->spi != first_spi;
    }
  }
  const auto& ie = initiator.ike().error_info();
  for (size_t i = initiator_before; i < ie.size(); ++i) r.initiator_errors.push_back(ie[i].record);
  const auto& re = responder.ike().error_info();
  for (size_t i = responder_before; i < re.size(); ++i) r.responder_errors.push_back(re[i].record);
  return r;
}

}  // namespace vfw::diagnose
