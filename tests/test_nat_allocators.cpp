#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "nat/port_allocator.hpp"

using namespace vfw;

TEST_CASE("ports in use are never handed out again", "[nat]") {
  PortAllocator a;
  const Ipv4 addr{0x01010101};
  std::set<uint16_t> seen;
  for (int i = 0; i < 1000; ++i) {
    auto p = a.allocate(addr, 6);
    REQUIRE(p);
    CHECK(*p >= PortAllocator::kFirstPort);
    CHECK(seen.insert(*p).second);
  }
  a.release(addr, 6, *seen.begin());
  CHECK_FALSE(a.in_use(addr, 6, *seen.begin()));
  // Other protocols and addresses have their own ports.
  CHECK(a.allocate(addr, 17) == PortAllocator::kFirstPort);
  CHECK(a.allocate(Ipv4{0x01010102}, 6) == PortAllocator::kFirstPort);
}

TEST_CASE("an address runs out of ports after 63488 flows", "[nat]") {
  PortAllocator a;
  const Ipv4 addr{0x01010101};
  for (int i = 0; i < 65536 - PortAllocator::kFirstPort; ++i) REQUIRE(a.allocate(addr, 6));
  CHECK_FALSE(a.allocate(addr, 6));
  a.release(addr, 6, 3000);
  CHECK(a.allocate(addr, 6) == 3000);
}

TEST_CASE("no-pat binds one global address per inside address until released", "[nat]") {
  AddressAllocator a;
  const std::vector<Ipv4Range> pool{{0x01010114, 0x01010115}};
  auto g1 = a.acquire(1, pool, Ipv4{0x0a010164});
  auto g1again = a.acquire(1, pool, Ipv4{0x0a010164});
  auto g2 = a.acquire(1, pool, Ipv4{0x0a010165});
  REQUIRE(g1);
  REQUIRE(g2);
  CHECK(*g1 == *g1again);
  CHECK(*g1 != *g2);
  CHECK_FALSE(a.acquire(1, pool, Ipv4{0x0a010166}));
  a.release(1, Ipv4{0x0a010164});
  CHECK_FALSE(a.acquire(1, pool, Ipv4{0x0a010166}));  // still held by the second reference
  a.release(1, Ipv4{0x0a010164});
  CHECK(a.acquire(1, pool, Ipv4{0x0a010166}) == g1);
}

TEST_CASE("the NAT allocators' flat map agrees with std::map under random inserts and erases",
          "[nat]") {
  FlatMap<uint32_t> flat;
  std::map<uint64_t, uint32_t> reference;
  std::mt19937_64 rng(11);
  for (int step = 0; step < 200000; ++step) {
    const uint64_t key = (rng() % 4) << 32 | (rng() % 3000);  // collisions and probe runs
    switch (rng() % 3) {
      case 0:
      case 1: {
        const auto value = static_cast<uint32_t>(rng());
        flat.put(key, value);
        reference[key] = value;
        break;
      }
      default:
        flat.erase(key);
        reference.erase(key);
        break;
    }
    if (step % 1000 == 0) {
      REQUIRE(flat.size() == reference.size());
      for (const auto& [k, v] : reference) REQUIRE(*flat.find(k) == v);
    }
    const uint64_t probe = (rng() % 4) << 32 | (rng() % 3000);
    const uint32_t* found = flat.find(probe);
    REQUIRE((found != nullptr) == (reference.count(probe) != 0));
  }
}
