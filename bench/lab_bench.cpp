// The lab at scale (docs/performance.md): a chain of 50 firewalls between two hosts.
//   BM_LabChainStart    the lab made from its topology and 50 configurations; counters: the
//                       resident memory each firewall adds (MiB)
//   BM_LabChainForward  UDP packets of an established flow from one host to the other, across
//                       all 50 firewalls (each one's session fast path) and the 51 links
//   BM_DeviceHop        the ceiling: the same packet through one firewall's fast path alone,
//                       in the same run; the chain's share of it is 50 x chain / hop
#include <benchmark/benchmark.h>

#include <unistd.h>
#include <fstream>
#include <map>
#include <string>

#include "cli/config_loader.hpp"
#include "lab/lab.hpp"

using namespace vfw;

namespace {

constexpr int kFirewalls = 50;

// fw_i: GigabitEthernet0/0/1 towards host a, GigabitEthernet0/0/2 towards host b; link k joins
// fw_k (172.16.k.1) and fw_k+1 (172.16.k.2).
std::string firewall_config(int i) {
  auto left = i == 1 ? std::string("10.0.0.1 255.255.255.0")
                     : "172.16." + std::to_string(i - 1) + ".2 255.255.255.252";
  auto right = i == kFirewalls ? std::string("10.9.9.1 255.255.255.0")
                               : "172.16." + std::to_string(i) + ".1 255.255.255.252";
  std::string c = "sysname FW" + std::to_string(i) +
                  "\n#\ninterface GigabitEthernet0/0/1\n ip address " + left +
                  "\n#\ninterface GigabitEthernet0/0/2\n ip address " + right +
                  "\n#\nfirewall zone trust\n add interface GigabitEthernet0/0/1\n#\n"
                  "firewall zone untrust\n add interface GigabitEthernet0/0/2\n#\n";
  if (i != kFirewalls)
    c += "ip route-static 10.9.9.0 255.255.255.0 172.16." + std::to_string(i) + ".2\n";
  if (i != 1)
    c += "ip route-static 10.0.0.0 255.255.255.0 172.16." + std::to_string(i - 1) + ".1\n";
  return c + "#\nsecurity-policy\n default action permit\n#\nreturn\n";
}

struct Chain {
  lab::Topology topology;
  std::map<std::string, std::string> files;
  Chain() {
    topology.name = "chain";
    lab::NodeSpec a;
    a.name = "a";
    a.kind = lab::NodeKind::Host;
    a.address = *parse_ipv4("10.0.0.2");
    a.gateway = *parse_ipv4("10.0.0.1");
    topology.nodes.push_back(a);
    for (int i = 1; i <= kFirewalls; ++i) {
      lab::NodeSpec f;
      f.name = "fw" + std::to_string(i);
      f.kind = lab::NodeKind::Firewall;
      f.startup_config = f.name + ".cfg";
      files[f.startup_config] = firewall_config(i);
      topology.nodes.push_back(f);
    }
    lab::NodeSpec b = a;
    b.name = "b";
    b.address = *parse_ipv4("10.9.9.2");
    b.gateway = *parse_ipv4("10.9.9.1");
    topology.nodes.push_back(b);
    auto link = [&](std::string an, std::string ai, std::string bn, std::string bi) {
      lab::LinkSpec l;
      l.a = {std::move(an), std::move(ai)};
      l.b = {std::move(bn), std::move(bi)};
      topology.links.push_back(l);
    };
    link("a", "eth1", "fw1", "GigabitEthernet0/0/1");
    for (int i = 1; i < kFirewalls; ++i)
      link("fw" + std::to_string(i), "GigabitEthernet0/0/2", "fw" + std::to_string(i + 1),
           "GigabitEthernet0/0/1");
    link("fw" + std::to_string(kFirewalls), "GigabitEthernet0/0/2", "b", "eth1");
  }
  std::unique_ptr<lab::Lab> make() const {
    std::vector<std::string> errors;
    auto l = lab::Lab::create(topology, errors, &files);
    if (!l) {
      for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.c_str());
      std::abort();
    }
    return l;
  }
};

size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

std::vector<uint8_t> udp_packet() {
  PacketSpec s;
  s.protocol = ipproto::kUdp;
  s.src = *parse_ipv4("10.0.0.2");
  s.dst = *parse_ipv4("10.9.9.2");
  s.src_port = 40000;
  s.dst_port = 9;
  s.total_length = 64;
  return build_packet(s);
}

void BM_LabChainStart(benchmark::State& state) {
  const Chain chain;
  double per_device = 0;
  for (auto _ : state) {
    const size_t before = resident_bytes();
    auto lab = chain.make();
    // Each firewall compiled: what the first packet would otherwise pay.
    for (int i = 1; i <= kFirewalls; ++i)
      benchmark::DoNotOptimize(&lab->device("fw" + std::to_string(i))->snapshot());
    per_device = static_cast<double>(resident_bytes() - before) / kFirewalls / (1 << 20);
    state.PauseTiming();
    lab.reset();
    state.ResumeTiming();
  }
  state.counters["MiB_per_firewall"] = per_device;
}
BENCHMARK(BM_LabChainStart)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LabChainForward(benchmark::State& state) {
  const Chain chain;
  auto lab = chain.make();
  const std::vector<uint8_t> packet = udp_packet();
  lab->send("a", packet);  // the first: every firewall makes its session
  lab->run();
  for (auto _ : state) {
    lab->send("a", packet);
    lab->run();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["firewall_hops_per_s"] = benchmark::Counter(
      static_cast<double>(state.iterations()) * kFirewalls, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_LabChainForward)->Unit(benchmark::kMicrosecond);

void BM_DeviceHop(benchmark::State& state) {
  // The chain's middle firewall alone, as the lab makes it, without a lab around it.
  const Chain chain;
  cli::LoadResult loaded = cli::load_config_text(chain.files.at("fw25.cfg"), "fw25.cfg");
  Device fw(std::move(loaded.config), lab::Lab::kSessionCapacity);
  std::vector<uint8_t> packet = udp_packet();
  // In the middle of the chain the packet has crossed 24 firewalls.
  packet[8] = static_cast<uint8_t>(packet[8] - 24);
  store16(&packet[10], 0);
  store16(&packet[10], internet_checksum({packet.data(), 20}));
  std::vector<uint8_t> p = packet;
  fw.receive(p, "GigabitEthernet0/0/1");
  for (auto _ : state) {
    p = packet;
    benchmark::DoNotOptimize(fw.receive(p, "GigabitEthernet0/0/1"));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DeviceHop)->Unit(benchmark::kNanosecond);

}  // namespace

BENCHMARK_MAIN();
