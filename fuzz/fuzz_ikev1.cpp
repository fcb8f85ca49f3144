// IKEv1 messages into the responder's engine (the seed's FW3, examples/fw3.cfg, with IKEv1 only).
// The first byte picks what the fuzzer writes:
//   even:  a whole datagram, as it arrives on UDP 500 (the ISAKMP header and payload decoders,
//          main and aggressive mode's first message);
//   odd:   the payloads of main mode's message 5, which the harness encrypts with the phase 1
//          keys and IV of a real exchange of messages 1 to 4 with FW1's engine, so that the
//          decoder of decrypted payloads, the identity and HASH_I checks are reached; the byte
//          after it is the type of the first payload;
//   bit 1: (with odd) a whole main mode first, then the fuzzer's payloads as a quick mode's
//          first message after a correct HASH(1) that the harness computes over them, so that
//          the SA, proposal and client identity code of quick mode is reached.
#include <cstdint>
#include <vector>

#include "device/ike_link.hpp"
#include "fuzz_common.hpp"
#include "packet/packet.hpp"

using namespace vfw;
using namespace vfw::ike;

namespace {

// Carries datagrams between the two engines until stop() holds or both are quiet.
template <typename Stop>
void pump(v1::Engine& fw1, v1::Engine& fw3, Stop stop) {
  for (int round = 0; round < 12 && !stop(); ++round) {
    auto a = fw1.take_datagrams();
    auto b = fw3.take_datagrams();
    if (a.empty() && b.empty()) return;
    for (const auto& d : a) fw3.receive(d.remote, d.local, d.bytes, 0);
    if (stop()) return;
    for (const auto& d : b) fw1.receive(d.remote, d.local, d.bytes, 0);
  }
}

Bytes encrypted(const v1::IsakmpSa& sa, v1::Header h, std::span<const uint8_t> body, Bytes iv) {
  Bytes plain(body.begin(), body.end());
  const size_t block = sa.cipher->block_bytes;
  plain.resize((plain.size() + block - 1) / block * block, 0);
  if (plain.empty()) plain.resize(block, 0);
  if (!v1::cbc(*sa.cipher, sa.keys.encryption, iv, plain, true)) std::abort();
  h.flags |= v1::flag::kEncryption;
  h.length = static_cast<uint32_t>(kHeaderBytes + plain.size());
  Bytes out(kHeaderBytes);
  v1::encode_header(h, out.data());
  out.insert(out.end(), plain.begin(), plain.end());
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const EngineConfig fw1_config = fuzz::ike_config("fw1.cfg", true);
  static const EngineConfig fw3_config = fuzz::ike_config("fw3.cfg", true);
  if (size < 2 || size > 8192) return 0;
  v1::Engine fw3(fw3_config);
  // Seeded: an input that crashes once crashes again with the same cookies, nonces and SPIs.
  SeededRandom fw3_random("fuzz_ikev1/FW3");
  fw3.set_random(fw3_random);
  const Endpoint fw3_end{Ipv4{0x02010101U}, kIkePort};
  const Endpoint fw1_end{Ipv4{0x01010101U}, kIkePort};
  if ((data[0] & 1) == 0) {
    fw3.receive(fw3_end, fw1_end, {data + 1, size - 1}, 0);
    fw3.take_datagrams();
    return 0;
  }
  v1::Engine fw1(fw1_config);
  SeededRandom fw1_random("fuzz_ikev1/FW1");
  fw1.set_random(fw1_random);
  if (!fw1.initiate(0, 0)) std::abort();
  const auto& sas = fw1.sas();
  const bool quick = (data[0] & 2) != 0;
  v1::Header h;
  Bytes message;
  if (!quick) {
    // Messages 1 to 4; FW1's own message 5 is replaced by the fuzzer's.
    pump(fw1, fw3, [&] { return !sas.empty() && sas[0]->state == v1::Phase1State::MainSent5; });
    if (sas.empty() || sas[0]->state != v1::Phase1State::MainSent5) std::abort();
    const v1::IsakmpSa& sa = *sas[0];
    h.cky_i = sa.cky_i;
    h.cky_r = sa.cky_r;
    h.exchange = v1::exchange::kMain;
    h.next_payload = data[1];
    message =
        encrypted(sa, h, {data + 2, size - 2}, v1::phase1_iv(*sa.hash, *sa.cipher, sa.gxi, sa.gxr));
  } else {
    pump(fw1, fw3, [&] { return false; });
    if (sas.empty() || !sas[0]->established()) std::abort();
    fw3.take_installs();
    const v1::IsakmpSa& sa = *sas[0];
    h.cky_i = sa.cky_i;
    h.cky_r = sa.cky_r;
    h.exchange = v1::exchange::kQuick;
    h.message_id = 0x51c0ffee;
    // HASH(1) = prf(SKEYID_a, M-ID | the payloads after it).
    Bytes input(4);
    store32(input.data(), h.message_id);
    input.insert(input.end(), data + 2, data + size);
    const Bytes hash = prf(*sa.hash->prf, sa.keys.a, input);
    Bytes body(4);
    body[0] = data[1];
    store16(body.data() + 2, static_cast<uint16_t>(4 + hash.size()));
    body.insert(body.end(), hash.begin(), hash.end());
    body.insert(body.end(), data + 2, data + size);
    h.next_payload = v1::payload::kHash;
    message = encrypted(sa, h, body, v1::exchange_iv(*sa.hash, *sa.cipher, sa.iv, h.message_id));
  }
  fw3.receive(fw3_end, fw1_end, message, 0);
  // Whatever FW3 answered, FW1 reads it too.
  for (const auto& d : fw3.take_datagrams()) fw1.receive(d.remote, d.local, d.bytes, 0);
  fw3.tick(60'000);
  return 0;
}
