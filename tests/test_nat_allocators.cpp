#include <catch2/catch.hpp>
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
