// The lock-out after repeated failed logins (manage/login_guard.hpp).
#include <catch2/catch.hpp>

#include "manage/login_guard.hpp"

using namespace vfw;
using manage::LoginGuard;

TEST_CASE("five failures within five minutes lock an address out for five minutes",
          "[ssh][login]") {
  LoginGuard guard;
  const Ipv4 a = *parse_ipv4("192.0.2.1");
  const Ipv4 b = *parse_ipv4("192.0.2.2");
  uint64_t now = 1'000'000;
  for (int i = 0; i < 4; ++i) CHECK_FALSE(guard.failed(a, now += 1000));
  CHECK_FALSE(guard.locked(a, now));
  CHECK(guard.failed(a, now += 1000));  // the fifth locks
  CHECK(guard.locked(a, now));
  CHECK_FALSE(guard.locked(b, now));  // another address is not concerned
  CHECK(guard.first_refusal(a));      // logged once
  CHECK_FALSE(guard.first_refusal(a));
  CHECK_FALSE(guard.failed(a, now + 1000));  // failures while locked add nothing
  CHECK(guard.locked(a, now + (uint64_t{5} * 60 * 1000) - 1));
  CHECK_FALSE(guard.locked(a, now + (uint64_t{5} * 60 * 1000)));
}

TEST_CASE("failures spread wider than the window, or followed by a success, do not lock",
          "[ssh][login]") {
  LoginGuard guard;
  const Ipv4 a = *parse_ipv4("198.51.100.7");
  uint64_t now = 0;
  for (int i = 0; i < 20; ++i) {
    CHECK_FALSE(guard.failed(a, now));
    now += uint64_t{2} * 60 * 1000;  // three fit in a window of five minutes, never five
  }
  CHECK_FALSE(guard.locked(a, now));
  const Ipv4 b = *parse_ipv4("198.51.100.8");
  for (int i = 0; i < 4; ++i) CHECK_FALSE(guard.failed(b, now += 10));
  guard.succeeded(b);
  CHECK_FALSE(guard.failed(b, now += 10));  // counting starts again
  CHECK_FALSE(guard.locked(b, now));
}

TEST_CASE("the guard's memory is bounded, and locked addresses are kept over failing ones",
          "[ssh][login]") {
  LoginGuard guard(LoginGuard::Limits{2, 60'000, 60'000});
  const Ipv4 locked = *parse_ipv4("203.0.113.1");
  guard.failed(locked, 1);
  REQUIRE(guard.failed(locked, 2));
  for (uint32_t i = 0; i < 3 * LoginGuard::kMaxTracked; ++i)
    guard.failed(Ipv4{0x0a000000u + i}, 3 + i / 1000);
  CHECK(guard.tracked() <= LoginGuard::kMaxTracked);
  CHECK(guard.locked(locked, 10));
}
