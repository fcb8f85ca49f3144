#include <catch2/catch.hpp>
#include <random>

#include "routing/fib.hpp"

using namespace vfw;

namespace {
Route route(const char* prefix, unsigned len, uint16_t out_if, uint32_t pref = 60) {
  return Route{Prefix::make(*parse_ipv4(prefix), len), RouteKind::Static, out_if, Ipv4{}, pref, 0};
}
}  // namespace

TEST_CASE("the longest matching prefix wins at every trie level", "[route]") {
  Fib fib;
  fib.build({route("0.0.0.0", 0, 1), route("10.0.0.0", 8, 2), route("10.1.0.0", 16, 3),
             route("10.1.1.0", 24, 4), route("10.1.1.128", 25, 5), route("10.1.1.200", 32, 6)});
  auto out = [&](const char* a) { return fib.lookup(*parse_ipv4(a))->out_if; };
  CHECK(out("192.0.2.1") == 1);
  CHECK(out("10.200.0.1") == 2);
  CHECK(out("10.1.200.1") == 3);
  CHECK(out("10.1.1.1") == 4);
  CHECK(out("10.1.1.130") == 5);
  CHECK(out("10.1.1.200") == 6);
  CHECK(out("10.1.1.201") == 5);
}

TEST_CASE("no default route means no match outside the prefixes", "[route]") {
  Fib fib;
  fib.build({route("10.0.0.0", 8, 2)});
  CHECK(fib.lookup(*parse_ipv4("11.0.0.1")) == nullptr);
}

TEST_CASE("for one prefix the lowest preference is installed", "[route]") {
  Fib fib;
  fib.build(
      {route("10.0.0.0", 8, 2, 60), route("10.0.0.0", 8, 3, 10), route("10.0.0.0", 8, 4, 70)});
  CHECK(fib.lookup(*parse_ipv4("10.9.9.9"))->out_if == 3);
  CHECK(fib.routes().size() == 1);
}

TEST_CASE("the trie agrees with a linear longest-prefix search on random tables", "[route]") {
  std::mt19937 rng_engine(42);
  auto rng = [&] { return static_cast<uint32_t>(rng_engine()); };
  std::vector<Route> routes;
  for (uint16_t i = 0; i < 3000; ++i) {
    const unsigned len = rng() % 33;
    routes.push_back(Route{Prefix::make(Ipv4{static_cast<uint32_t>(rng())}, len), RouteKind::Static,
                           i, Ipv4{}, 60, 0});
  }
  Fib fib;
  fib.build(routes);
  for (int i = 0; i < 20000; ++i) {
    // Half of the probes land inside a route, to exercise the deep levels.
    Ipv4 a{static_cast<uint32_t>(rng())};
    if (i % 2 == 0) {
      const Route& r = routes[rng() % routes.size()];
      a = Ipv4{r.prefix.first() | (static_cast<uint32_t>(rng()) & ~mask_of_length(r.prefix.len))};
    }
    const Route* best = nullptr;
    for (const auto& r : fib.routes()) {
      if (r.prefix.contains(a) && (best == nullptr || r.prefix.len > best->prefix.len)) best = &r;
    }
    const Route* got = fib.lookup(a);
    REQUIRE((got == nullptr) == (best == nullptr));
    if (got != nullptr) REQUIRE(got->prefix == best->prefix);
  }
}
