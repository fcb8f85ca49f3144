// IKE benchmarks (docs/performance.md): whole negotiations per second on one core, two engines in
// memory (IKEv2: IKE_SA_INIT, IKE_AUTH with a pre-shared key, one CHILD SA; IKEv1: main mode with
// a pre-shared key and one quick mode), next to the
// machine's own limit measured by the same program: the same public-key operations alone (a key
// pair and a shared secret on each side, through the same OpenSSL calls), which a negotiation
// cannot do without. Also the memory an established IKE SA and a half-open one hold.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <openssl/bn.h>

#include <algorithm>

#include "ike/v1/engine.hpp"
#include "ike/v2/engine.hpp"
#include "packet/packet.hpp"

using namespace vfw;
using namespace vfw::ike;

namespace {

const char* group_keyword(int64_t index) {
  return index == 0 ? "group19" : "group14";
}

Identification ip_id(uint32_t address) {
  Identification id;
  id.data.resize(4);
  store32(id.data.data(), address);
  return id;
}

EngineConfig side(bool fw1, const char* group) {
  EngineConfig c;
  PeerConfig peer;
  peer.name = "peer";
  IkeProposalConfig p;
  p.encryption = {find_encryption("aes-256")};
  p.prf = {find_prf("hmac-sha2-256")};
  p.integrity = {find_integrity("hmac-sha2-256")};
  p.dh = {find_dh_group(group)};
  p.v1_encryption = {v1::find_cipher("aes-256")};
  p.v1_hash = {v1::find_hash("sha2-256")};
  peer.proposals = {p};
  peer.pre_shared_key = "Seed@2026";
  peer.remote_address = Ipv4{fw1 ? 0x02010101U : 0x01010101U};
  peer.local_id = ip_id(fw1 ? 0x01010101U : 0x02010101U);
  c.peers.push_back(peer);
  ChildConfig child;
  child.policy = "map1";
  child.local_address = Ipv4{fw1 ? 0x01010101U : 0x02010101U};
  TrafficSelector branch{0, 0, 65535, Ipv4{0x0a010100}, Ipv4{0x0a0101ff}};
  TrafficSelector hq{0, 0, 65535, Ipv4{0x0a020100}, Ipv4{0x0a0201ff}};
  child.local_ts = {fw1 ? branch : hq};
  child.remote_ts = {fw1 ? hq : branch};
  c.children.push_back(child);
  return c;
}

// One negotiation from the first message to both CHILD SAs installed; false if it failed.
template <typename E>
bool negotiate(E& a, E& b) {
  if (!a.initiate(0, 0)) return false;
  for (int round = 0; round < 12; ++round) {
    auto from_a = a.take_datagrams();
    auto from_b = b.take_datagrams();
    if (from_a.empty() && from_b.empty()) break;
    for (const auto& d : from_a) b.receive(d.remote, d.local, d.bytes, 0);
    for (const auto& d : from_b) a.receive(d.remote, d.local, d.bytes, 0);
  }
  return a.take_installs().size() == 1 && b.take_installs().size() == 1;
}

void BM_Negotiation(benchmark::State& state) {
  const char* group = group_keyword(state.range(0));
  const EngineConfig fw1 = side(true, group);
  const EngineConfig fw3 = side(false, group);
  for (auto _ : state) {
    Engine a(fw1);
    Engine b(fw3);
    if (!negotiate(a, b)) state.SkipWithError("negotiation failed");
  }
  state.SetLabel(find_dh_group(group)->display.data());
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// IKEv1: main mode (six messages) and quick mode (three), PSK, no PFS: the same two key pairs
// and two shared secrets as IKEv2, so the same ceiling.
void BM_NegotiationV1(benchmark::State& state) {
  const char* group = group_keyword(state.range(0));
  EngineConfig fw1 = side(true, group);
  EngineConfig fw3 = side(false, group);
  fw1.peers[0].version2 = fw3.peers[0].version2 = false;
  for (auto _ : state) {
    v1::Engine a(fw1);
    v1::Engine b(fw3);
    if (!negotiate(a, b)) state.SkipWithError("negotiation failed");
  }
  state.SetLabel(find_dh_group(group)->display.data());
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// The ceiling: what both sides' Diffie-Hellman costs, alone.
void BM_PublicKeyCeiling(benchmark::State& state) {
  const DhGroup& group = *find_dh_group(group_keyword(state.range(0)));
  for (auto _ : state) {
    auto a = DhKey::generate(group, system_random());
    auto b = DhKey::generate(group, system_random());
    auto s1 = a->shared_secret(b->public_value());
    auto s2 = b->shared_secret(a->public_value());
    benchmark::DoNotOptimize(s1);
    benchmark::DoNotOptimize(s2);
  }
  state.SetLabel(group.display.data());
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Issue 25: a flood of IKE_SA_INIT requests from the peer's (spoofed) address whose MODP-2048 KE
// value passes the cheap checks but is outside the group (p - 2), 500 a second on the engine's
// clock. Defended, the first 64 cost a key pair and a failed check each and then every request
// gets a cookie; dh_per_request says how many computations a request cost on average over the
// run. The machine's limit beside it: BM_BadKeUndefended, what each such request cost before
// (a key pair and the failed check), through the same OpenSSL calls.
Bytes outside_subgroup() {
  BIGNUM* p = BN_get_rfc3526_prime_2048(nullptr);
  BN_sub_word(p, 2);
  Bytes out(256);
  BN_bn2binpad(p, out.data(), 256);
  BN_free(p);
  return out;
}

void BM_BadKeFlood(benchmark::State& state) {
  Engine responder(side(false, "group14"));
  Engine initiator(side(true, "group14"));
  initiator.initiate(0, 0);
  Bytes request = initiator.take_datagrams().at(0).bytes;
  const Bytes& own = initiator.sas().at(0)->dh->public_value();
  const Bytes bad = outside_subgroup();
  std::copy(bad.begin(), bad.end(),
            std::search(request.begin(), request.end(), own.begin(), own.end()));
  uint64_t now = 0;
  uint32_t spi = 1;
  for (auto _ : state) {
    store32(request.data(), spi++);
    responder.receive({Ipv4{0x02010101}, 500}, {Ipv4{0x01010101}, 500}, request, now);
    benchmark::DoNotOptimize(responder.take_datagrams());
    now += 2;
  }
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["dh_per_request"] = static_cast<double>(responder.work_budget().computations()) /
                                     static_cast<double>(state.iterations());
}

void BM_BadKeUndefended(benchmark::State& state) {
  const DhGroup& group = *find_dh_group("group14");
  const Bytes bad = outside_subgroup();
  for (auto _ : state) {
    auto key = DhKey::generate(group, system_random());
    auto shared = key->shared_secret(bad);
    if (shared) state.SkipWithError("a value outside the group was accepted");
  }
  state.counters["per_second"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// Memory: the heap an engine holds for n established IKE SAs (each with its CHILD SA) and for n
// half-open ones (a responder after IKE_SA_INIT), per SA, as glibc's allocator counts it
// (OpenSSL's allocations included).
size_t heap_in_use() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks;
}

void BM_MemoryPerSa(benchmark::State& state) {
  const bool half_open = state.range(0) == 1;
  // Half-open: no more than the cookie threshold, beyond which a request leaves no state at all.
  const int kSas = half_open ? static_cast<int>(Engine::kCookieThreshold) : 200;
  double per_sa = 0;
  for (auto _ : state) {
    const size_t before = heap_in_use();
    Engine responder(side(false, "group19"));
    std::vector<std::unique_ptr<Engine>> initiators;
    for (int i = 0; i < kSas; ++i) {
      EngineConfig c = side(true, "group19");
      auto a = std::make_unique<Engine>(c);
      if (half_open) {
        a->initiate(0, 0);
        for (const auto& d : a->take_datagrams()) {
          Bytes m = d.bytes;
          store32(m.data(), static_cast<uint32_t>(i + 1));  // a new initiator SPI each time
          responder.receive(d.remote, d.local, m, 0);
        }
        responder.take_datagrams();
      } else {
        negotiate(*a, responder);
      }
      a.reset();
    }
    const size_t after = heap_in_use();
    per_sa = static_cast<double>(after - before) / kSas;
    benchmark::DoNotOptimize(responder);
  }
  state.SetLabel(half_open ? "half-open (responder)" : "established IKE SA + CHILD SA (responder)");
  state.counters["bytes_per_sa"] = per_sa;
}

}  // namespace

BENCHMARK(BM_PublicKeyCeiling)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Negotiation)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_NegotiationV1)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MemoryPerSa)->Arg(0)->Arg(1)->Iterations(1);
BENCHMARK(BM_BadKeFlood)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_BadKeUndefended)->Unit(benchmark::kMicrosecond);
BENCHMARK_MAIN();
