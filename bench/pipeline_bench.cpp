// Pipeline benchmarks (docs/performance.md has the figures and how to run them):
//   BM_FastPath/N     established sessions, 64-byte packets, N sessions (1K, 1M, 16M), random
//                     flow order
//   BM_MemoryLimit/N  the machine's ceiling for BM_FastPath/N: random cache-line loads over the
//                     memory N sessions take, as many in flight, as many per packet
//   BM_FirstPacket    full stage traversal with N security-policy rules and 100,000 routes
// and, printed before the runs, the bytes of memory a session costs.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include "device/device.hpp"

using namespace vfw;

namespace {

constexpr uint32_t kSessions = 1U << 20;
constexpr uint32_t kMaxSessions = 1U << 24;  // vfw run --sessions 16777216, the largest it takes

// The process's resident memory, from /proc/self/statm (pages).
double resident_mib() {
  std::ifstream statm("/proc/self/statm");
  size_t total = 0;
  size_t resident = 0;
  statm >> total >> resident;
  return static_cast<double>(resident) * 4096 / (1 << 20);
}

// How much of it the kernel backs with transparent huge pages (AnonHugePages, kB).
double huge_page_mib() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  std::string line;
  while (std::getline(rollup, line)) {
    if (line.rfind("AnonHugePages:", 0) == 0) return std::stod(line.substr(14)) / 1024;
  }
  return 0;
}
constexpr uint16_t kLan = 0;  // GigabitEthernet0/0/1 (interfaces sort by name)

config::Config base_config() {
  config::Config c = config::Config::factory_default();
  c.interfaces.clear();
  c.zones[1].interfaces.clear();
  auto& lan = c.interface("GigabitEthernet0/0/1");
  lan.address = config::Interface::Address{*parse_ipv4("10.0.0.1"), 8};
  auto& wan = c.interface("GigabitEthernet0/0/2");
  wan.address = config::Interface::Address{*parse_ipv4("1.1.1.1"), 24};
  c.find_zone("trust")->interfaces.push_back("GigabitEthernet0/0/1");
  c.find_zone("untrust")->interfaces.push_back("GigabitEthernet0/0/2");
  c.routes.push_back(
      config::StaticRoute{Prefix::make(Ipv4{0}, 0), *parse_ipv4("1.1.1.2"), "", 60, ""});
  return c;
}

// A 64-byte UDP packet of flow i: 10.x.y.z:port -> 8.8.8.8:53, UDP checksum 0 (RFC 768: none).
struct FlowPackets {
  std::vector<uint8_t> tmpl;
  uint16_t tmpl_checksum = 0;
  uint32_t tmpl_src = 0;
  FlowPackets() {
    PacketSpec s;
    s.protocol = ipproto::kUdp;
    s.src = *parse_ipv4("10.0.0.2");
    s.dst = *parse_ipv4("8.8.8.8");
    s.src_port = 1024;
    s.dst_port = 53;
    s.total_length = 64;
    tmpl = build_packet(s);
    store16(&tmpl[26], 0);
    tmpl_checksum = load16(&tmpl[10]);
    tmpl_src = s.src.v;
  }
  static uint32_t src_of(uint32_t flow) { return 0x0a000002U + (flow >> 4); }
  static uint16_t port_of(uint32_t flow) { return static_cast<uint16_t>(1024 + (flow & 15)); }
  void write(uint8_t* p, uint32_t flow) const {
    std::memcpy(p, tmpl.data(), 64);
    const uint32_t src = src_of(flow);
    store32(p + 12, src);
    store16(p + 10, checksum_adjust32(tmpl_checksum, tmpl_src, src));
    store16(p + 20, port_of(flow));
  }
};

void BM_FastPath(benchmark::State& state) {
  const auto sessions = static_cast<uint32_t>(state.range(0));
  config::Config c = base_config();
  config::SecurityRule permit;
  permit.name = "lan_out";
  permit.source_zones = {"trust"};
  permit.destination_zones = {"untrust"};
  permit.action = config::PolicyAction::Permit;
  c.security_policy.rules.push_back(permit);
  Device d(c, sessions);
  FlowPackets flows;
  alignas(64) uint8_t packet[64];
  for (uint32_t f = 0; f < sessions; ++f) {
    flows.write(packet, f);
    uint32_t length = 64;
    if (d.receive(packet, length, 64, kLan) != Action::Forward)
      state.SkipWithError("session setup failed");
  }
  std::vector<uint32_t> order(sessions);
  for (uint32_t i = 0; i < sessions; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(1));
  // Packets arrive in batches of 64, as a poll-mode driver hands them over.
  constexpr size_t kBatch = 64;
  alignas(64) uint8_t buffers[kBatch][64];
  uint8_t* pointers[kBatch];
  uint32_t lengths[kBatch];
  uint32_t capacities[kBatch];
  Action actions[kBatch];
  for (size_t b = 0; b < kBatch; ++b) {
    pointers[b] = buffers[b];
    lengths[b] = 64;
    capacities[b] = 64;
  }
  size_t i = 0;
  uint64_t forwarded = 0;
  for (auto _ : state) {
    for (size_t b = 0; b < kBatch; ++b) {
      flows.write(buffers[b], order[i]);
      i = (i + 1) & (sessions - 1);
    }
    d.receive_batch(pointers, lengths, capacities, kBatch, kLan, actions);
    for (Action a : actions) forwarded += a == Action::Forward ? 1 : 0;
  }
  const auto packets = static_cast<uint64_t>(state.iterations()) * kBatch;
  if (forwarded != packets) state.SkipWithError("a fast-path packet was not forwarded");
  state.SetItemsProcessed(static_cast<int64_t>(packets));
  state.counters["sessions"] = d.runtime().sessions.size();
  // The whole process: the device with its table full, the flow order, the benchmark.
  state.counters["rss_MiB"] = resident_mib();
  state.counters["huge_MiB"] = huge_page_mib();
}
// 1M sessions is the figure asked for; 1024 shows the cost with the table in cache; 16M is the
// largest table vfw run takes (setting it up sends 16M first packets: some seconds).
BENCHMARK(BM_FastPath)->Arg(1024)->Arg(kSessions)->Arg(kMaxSessions)->Unit(benchmark::kNanosecond);

// The machine's limit for the fast path: random cache-line loads over as much memory as the
// session table of 1M sessions takes, with as many independent loads in flight as the batch
// keeps (16 index slots and 8 entries of two lines ahead: 32 lines), divided by the lines a
// packet touches (one index slot, and an 80-byte session, which always spans two lines: 3).
// The memory is mapped as the table's is (HugeArray: transparent huge pages where the kernel
// grants them), so that the two meet the same TLB.
// items_per_second is that ceiling in packets per second, comparable with BM_FastPath/N.
void BM_MemoryLimit(benchmark::State& state) {
  constexpr size_t kLinesPerPacket = 3;
  constexpr size_t kInFlight = 32;
  const size_t bytes = SessionTable(static_cast<uint32_t>(state.range(0))).memory_bytes();
  const size_t lines = bytes / 64;
  HugeArray<uint64_t> table(lines * 8);
  for (size_t w = 0; w < lines * 8; w += 8) table[w] = 1;
  std::mt19937_64 rng(3);
  std::vector<uint32_t> order(1U << 22);
  for (auto& o : order) o = static_cast<uint32_t>(rng() % lines);
  size_t i = 0;
  uint64_t sum = 0;
  for (auto _ : state) {
    // One packet's worth of loads per iteration.
    for (size_t k = 0; k < kLinesPerPacket; ++k, ++i) {
      if (i + kInFlight >= order.size()) i = 0;
      __builtin_prefetch(&table[size_t{order[i + kInFlight]} * 8]);
      sum += table[size_t{order[i]} * 8];
    }
  }
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["table_MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["huge_MiB"] = huge_page_mib();
}
BENCHMARK(BM_MemoryLimit)->Arg(kSessions)->Arg(kMaxSessions)->Unit(benchmark::kNanosecond);

void BM_FirstPacket(benchmark::State& state) {
  const auto rules = static_cast<uint32_t>(state.range(0));
  std::mt19937 rng_engine(7);
  auto rng = [&] { return static_cast<uint32_t>(rng_engine()); };
  config::Config c = base_config();
  // 100,000 routes: /24s (and some /16s and /28s) all over the unicast space, via the carrier.
  std::set<std::pair<uint32_t, unsigned>> distinct;
  while (distinct.size() < 100000) {
    const unsigned len = distinct.size() % 10 == 0 ? 16 : (distinct.size() % 10 == 1 ? 28 : 24);
    const Prefix p = Prefix::make(Ipv4{rng() | 0x01000000U}, len);
    if (!distinct.insert({p.addr.v, len}).second) continue;
    c.routes.push_back(config::StaticRoute{p, *parse_ipv4("1.1.1.2"), "", 60, ""});
  }
  // N rules, each for one /20 of the LAN and half of them for one /8 of destinations, then a
  // catch-all: a packet's rule is anywhere in the list.
  for (uint32_t r = 0; r < rules; ++r) {
    config::SecurityRule rule;
    rule.name = "r" + std::to_string(r);
    rule.source_zones = {"trust"};
    rule.destination_zones = {"untrust"};
    config::AddressItem src;
    src.prefix = Prefix::make(Ipv4{0x0a000000U + (r << 12)}, 20);
    rule.source_addresses.push_back(src);
    if (r % 2 == 0) {
      config::AddressItem dst;
      dst.prefix = Prefix::make(Ipv4{(r % 200 + 20) << 24}, 8);
      rule.destination_addresses.push_back(dst);
    }
    rule.services = {r % 3 == 0 ? "dns" : "any"};
    rule.action = config::PolicyAction::Permit;
    c.security_policy.rules.push_back(rule);
  }
  config::SecurityRule all;
  all.name = "rest";
  all.action = config::PolicyAction::Permit;
  c.security_policy.rules.push_back(all);
  Device d(c, kSessions);

  // Packets: sources spread over the rules' prefixes, destinations anywhere routable.
  constexpr uint32_t kPackets = 1U << 16;
  std::vector<std::vector<uint8_t>> packets;
  packets.reserve(kPackets);
  for (uint32_t i = 0; i < kPackets; ++i) {
    PacketSpec s;
    s.protocol = ipproto::kUdp;
    s.src = Ipv4{0x0a000000U + ((rng() % rules) << 12) + (rng() & 0xfff) + 1};
    s.dst = Ipv4{rng() | 0x01000000U};
    s.src_port = static_cast<uint16_t>(1024 + i % 60000);
    s.dst_port = 53;
    s.total_length = 64;
    packets.push_back(build_packet(s));
  }
  alignas(64) uint8_t packet[64];
  uint32_t i = 0;
  uint64_t forwarded = 0;
  for (auto _ : state) {
    if (i == kPackets) {  // the flows are new again: drop their sessions (not timed)
      state.PauseTiming();
      d.runtime().clear_sessions();
      i = 0;
      state.ResumeTiming();
    }
    std::memcpy(packet, packets[i].data(), 64);
    uint32_t length = 64;
    forwarded += d.receive(packet, length, 64, kLan) == Action::Forward ? 1 : 0;
    ++i;
  }
  if (forwarded != static_cast<uint64_t>(state.iterations()))
    state.SkipWithError("a first packet was not forwarded");
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["rules"] = rules;
  state.counters["routes"] = static_cast<double>(d.snapshot().fib.routes().size());
}
BENCHMARK(BM_FirstPacket)->Arg(100)->Arg(10000)->Unit(benchmark::kNanosecond);

}  // namespace

int main(int argc, char** argv) {
  {
    SessionTable t(kSessions);
    std::printf(
        "Session memory: %zu bytes for %u sessions = %.1f bytes per session "
        "(entry %zu, index %zu, bookkeeping %zu)\n",
        t.memory_bytes(), kSessions, static_cast<double>(t.memory_bytes()) / kSessions,
        sizeof(Session), size_t{4} * 8, sizeof(uint32_t) + 1);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
