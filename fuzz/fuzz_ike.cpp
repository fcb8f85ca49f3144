// IKEv2 messages into the responder's engine (the seed's FW3, examples/fw3.cfg). The first byte
// picks what the fuzzer writes:
//   even: a whole datagram, as it arrives on UDP 500 (the header and payload decoders, the
//         IKE_SA_INIT responder);
//   odd:  the payloads inside the SK payload of an IKE_AUTH request, which the harness encrypts
//         and signs with the keys of a real IKE_SA_INIT it just ran with FW1's engine, so that the
//         decoder of the encrypted payloads and the IKE_AUTH responder are reached; the byte
//         after it is the type of the first payload. With bit 1 also set, the harness writes a
//         correct IDi and AUTH first (FW1's identity, the MAC of its pre-shared key) and the
//         fuzzer's payloads follow them, so that the CHILD SA's proposals and traffic selectors
//         are reached past authentication.
#include <cstdint>
#include <vector>

#include "device/ike_link.hpp"
#include "fuzz_common.hpp"
#include "ike/authentication.hpp"

using namespace vfw;
using namespace vfw::ike;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const EngineConfig fw1_config = fuzz::ike_config("fw1.cfg", false);
  static const EngineConfig fw3_config = fuzz::ike_config("fw3.cfg", false);
  if (size < 2 || size > 8192) return 0;
  Engine fw3(fw3_config);
  // Seeded: an input that crashes once crashes again with the same SPIs, nonces and IVs.
  SeededRandom fw3_random("fuzz_ike/FW3");
  fw3.set_random(fw3_random);
  const Endpoint fw3_end{Ipv4{0x02010101U}, kIkePort};
  const Endpoint fw1_end{Ipv4{0x01010101U}, kIkePort};
  if ((data[0] & 1) == 0) {
    fw3.receive(fw3_end, fw1_end, {data + 1, size - 1}, 0);
    fw3.take_datagrams();
    return 0;
  }
  // A real IKE_SA_INIT first: FW1's request, FW3's response, FW1's keys.
  Engine fw1(fw1_config);
  SeededRandom fw1_random("fuzz_ike/FW1");
  fw1.set_random(fw1_random);
  if (!fw1.initiate(0, 0)) std::abort();
  for (const auto& d : fw1.take_datagrams()) fw3.receive(d.remote, d.local, d.bytes, 0);
  for (const auto& d : fw3.take_datagrams()) fw1.receive(d.remote, d.local, d.bytes, 0);
  fw1.take_datagrams();  // its own IKE_AUTH request: replaced by the fuzzer's
  if (fw1.sas().empty() || fw1.sas()[0]->state != IkeSaState::AuthSent) std::abort();
  const IkeSa& sa = *fw1.sas()[0];
  SkProtection keys = sa.outbound;
  Header h;
  h.spi_i = sa.spi_i;
  h.spi_r = sa.spi_r;
  h.exchange = exchange::kIkeAuth;
  h.flags = flag::kInitiator;
  h.message_id = 1;
  Bytes inner;
  uint8_t first = data[1];
  if ((data[0] & 2) != 0) {
    const PeerConfig& peer = fw1_config.peers.at(0);
    PayloadWriter w;
    w.id(payload::kIdi, peer.local_id);
    const Bytes psk(peer.pre_shared_key.begin(), peer.pre_shared_key.end());
    w.auth({auth_method::kSharedKeyMic, psk_auth(*sa.suite.prf, psk, sa.init_request, sa.nr,
                                                 sa.keys.pi, peer.local_id.body())});
    inner = w.bytes();
    inner[kPayloadHeaderBytes + peer.local_id.body().size()] = data[1];  // AUTH's Next Payload
    first = payload::kIdi;
  }
  inner.insert(inner.end(), data + 2, data + size);
  auto message = seal_message(h, first, inner, keys, fw1_random);
  if (!message) return 0;
  fw3.receive(fw3_end, fw1_end, *message, 0);
  // Whatever FW3 answered, FW1 reads it too (its IKE_AUTH response decoder).
  for (const auto& d : fw3.take_datagrams()) fw1.receive(d.remote, d.local, d.bytes, 0);
  return 0;
}
