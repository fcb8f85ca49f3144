// ESP benchmarks (docs/performance.md): encapsulation and decapsulation of 1400-byte packets on
// one core, next to the machine's own limit measured by the same program: the same OpenSSL cipher
// and MAC calls on the same bytes, without the ESP work (headers, padding, IV, copies, replay).
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "ipsec/esp.hpp"
#include "packet/packet.hpp"

using namespace vfw;
using namespace vfw::ipsec;

namespace {

constexpr uint32_t kInner = 1400;

struct Suite {
  Encryption enc;
  Authentication auth;
};
const Suite kSuites[] = {{Encryption::AesGcm256, Authentication::None},
                         {Encryption::Aes256, Authentication::Sha256}};

std::unique_ptr<Sa> make_sa(const Suite& s, bool inbound) {
  const auto& ei = info(s.enc);
  std::vector<uint8_t> ek(ei.key_bytes + (ei.aead ? 4U : 0U), 0x42);
  std::vector<uint8_t> ak(info(s.auth).key_bytes, 0x24);
  SaSpec spec;
  spec.spi = 0x1000;
  spec.local = Ipv4{0x01010101};
  spec.remote = Ipv4{0x02010101};
  spec.inbound = inbound;
  spec.encryption = s.enc;
  spec.encryption_key = ek;
  spec.authentication = s.auth;
  spec.authentication_key = ak;
  auto sa = ipsec::make_sa(spec);
  if (!sa) std::abort();
  return std::move(*sa);
}

std::vector<uint8_t> inner_packet() {
  PacketSpec p;
  p.protocol = ipproto::kUdp;
  p.src = Ipv4{0x0a010102};
  p.dst = Ipv4{0x0a020102};
  p.src_port = 5000;
  p.dst_port = 5001;
  p.total_length = kInner;
  return build_packet(p);
}

void label(benchmark::State& state, const Suite& s) {
  std::string name(info(s.enc).keyword);
  if (!info(s.enc).aead) name += "+" + std::string(info(s.auth).keyword);
  state.SetLabel(name);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * kInner);
}

void BM_EspEncapsulate(benchmark::State& state) {
  const Suite& s = kSuites[state.range(0)];
  auto sa = make_sa(s, false);
  const auto inner = inner_packet();
  alignas(64) uint8_t buffer[2048];
  for (auto _ : state) {
    std::memcpy(buffer, inner.data(), kInner);
    uint32_t length = kInner;
    if (esp_encapsulate(*sa, buffer, length, sizeof buffer, 1) != DropReason::None)
      state.SkipWithError("failed");
    benchmark::DoNotOptimize(buffer);
  }
  label(state, s);
}

void BM_EspDecapsulate(benchmark::State& state) {
  const Suite& s = kSuites[state.range(0)];
  auto out = make_sa(s, false);
  auto in = make_sa(s, true);
  const auto inner = inner_packet();
  constexpr size_t kPackets = 1024;  // distinct sequence numbers, replayed after a window reset
  std::vector<std::vector<uint8_t>> packets;
  for (size_t i = 0; i < kPackets; ++i) {
    std::vector<uint8_t> p(2048);
    std::memcpy(p.data(), inner.data(), kInner);
    uint32_t length = kInner;
    esp_encapsulate(*out, p.data(), length, static_cast<uint32_t>(p.size()), 1);
    p.resize(length);
    packets.push_back(std::move(p));
  }
  alignas(64) uint8_t buffer[2048];
  size_t i = 0;
  for (auto _ : state) {
    if (i == kPackets) {
      state.PauseTiming();
      in->replay = ReplayWindow(1024);
      i = 0;
      state.ResumeTiming();
    }
    const auto& p = packets[i++];
    std::memcpy(buffer, p.data(), p.size());
    uint32_t length = static_cast<uint32_t>(p.size());
    if (esp_decapsulate(*in, buffer, length, 20) != DropReason::None) state.SkipWithError("failed");
    benchmark::DoNotOptimize(buffer);
  }
  label(state, s);
}

// The limit: the cipher and MAC calls ESP makes for one 1400-byte packet, on a buffer, nothing
// else.
void BM_OpenSslLimit(benchmark::State& state) {
  const Suite& s = kSuites[state.range(0)];
  auto sa = make_sa(s, false);
  const uint32_t padded = (kInner + 2 + info(s.enc).block_bytes - 1) / info(s.enc).block_bytes *
                          info(s.enc).block_bytes;
  alignas(64) uint8_t buffer[2048] = {};
  uint8_t header[8 + 16] = {};
  for (auto _ : state) {
    if (info(s.enc).aead) {
      sa->crypto.gcm_seal(buffer, padded, header + 8, {header, 8}, buffer + padded);
    } else {
      sa->crypto.cbc(buffer, padded, header + 8);
      const std::array<std::span<const uint8_t>, 2> pieces = {
          std::span<const uint8_t>{header, sizeof header},
          std::span<const uint8_t>{buffer, padded}};
      sa->crypto.mac(pieces, buffer + padded);
    }
    benchmark::DoNotOptimize(buffer);
  }
  label(state, s);
}

// The limit for decapsulation: the same calls in the decrypting direction.
void BM_OpenSslLimitDecrypt(benchmark::State& state) {
  const Suite& s = kSuites[state.range(0)];
  auto out = make_sa(s, false);
  auto in = make_sa(s, true);
  const uint32_t padded = (kInner + 2 + info(s.enc).block_bytes - 1) / info(s.enc).block_bytes *
                          info(s.enc).block_bytes;
  alignas(64) uint8_t sealed[2048] = {};
  uint8_t header[8 + 16] = {};
  if (info(s.enc).aead)
    out->crypto.gcm_seal(sealed, padded, header + 8, {header, 8}, sealed + padded);
  alignas(64) uint8_t buffer[2048];
  for (auto _ : state) {
    std::memcpy(buffer, sealed, padded + 16);  // GCM decrypts in place: restore the ciphertext
    if (info(s.enc).aead) {
      if (!in->crypto.gcm_open(buffer, padded, header + 8, {header, 8}, buffer + padded))
        state.SkipWithError("tag");
    } else {
      const std::array<std::span<const uint8_t>, 2> pieces = {
          std::span<const uint8_t>{header, sizeof header},
          std::span<const uint8_t>{buffer, padded}};
      uint8_t icv[64];
      in->crypto.mac(pieces, icv);
      in->crypto.cbc(buffer, padded, header + 8);
    }
    benchmark::DoNotOptimize(buffer);
  }
  label(state, s);
}

BENCHMARK(BM_OpenSslLimit)->DenseRange(0, 1);
BENCHMARK(BM_OpenSslLimitDecrypt)->DenseRange(0, 1);
BENCHMARK(BM_EspEncapsulate)->DenseRange(0, 1);
BENCHMARK(BM_EspDecapsulate)->DenseRange(0, 1);

}  // namespace

BENCHMARK_MAIN();
