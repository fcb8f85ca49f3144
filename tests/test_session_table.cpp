#include <catch2/catch.hpp>
#include <random>

#include "packet/packet.hpp"
#include "pipeline/runtime.hpp"
#include "pipeline/session_table.hpp"

using namespace vfw;

namespace {
Session make(uint32_t i) {
  Session s;
  s.fwd = FlowKey{0x0a000000U + i, 0x0b000000U, static_cast<uint16_t>(1024 + i % 60000), 80,
                  ipproto::kTcp,   {0, 0, 0}};
  s.rev = reverse_of(s.fwd);
  s.rev.dst = 0x01010101U;  // as after source NAT
  return s;
}
}  // namespace

TEST_CASE("a session is found from both directions", "[session]") {
  SessionTable t(16);
  uint32_t idx = 0;
  REQUIRE(t.insert(make(1), idx));
  SessionHit hit;
  REQUIRE(t.find(make(1).fwd, hit));
  CHECK_FALSE(hit.reply);
  REQUIRE(t.find(make(1).rev, hit));
  CHECK(hit.reply);
  CHECK(hit.index == idx);
  CHECK_FALSE(t.find(make(2).fwd, hit));
}

TEST_CASE("a full table refuses new sessions, erasing makes room", "[session]") {
  SessionTable t(4);
  uint32_t idx = 0;
  for (uint32_t i = 0; i < 4; ++i) REQUIRE(t.insert(make(i), idx));
  CHECK_FALSE(t.insert(make(9), idx));
  t.erase(2);
  CHECK(t.insert(make(9), idx));
}

TEST_CASE("erasing keeps every other session reachable (backward-shift deletion)", "[session]") {
  SessionTable t(4096);
  std::vector<uint32_t> ids(4096);
  for (uint32_t i = 0; i < 4096; ++i) REQUIRE(t.insert(make(i), ids[i]));
  std::mt19937 rng(3);
  std::vector<bool> gone(4096, false);
  for (int k = 0; k < 3000; ++k) {
    const uint32_t i = rng() % 4096;
    if (gone[i]) continue;
    t.erase(ids[i]);
    gone[i] = true;
  }
  SessionHit hit;
  for (uint32_t i = 0; i < 4096; ++i) {
    REQUIRE(t.find(make(i).fwd, hit) == !gone[i]);
    REQUIRE(t.find(make(i).rev, hit) == !gone[i]);
  }
}

TEST_CASE("a session and its index take at most 128 bytes", "[session]") {
  SessionTable t(1 << 16);
  CHECK(t.memory_bytes() / t.capacity() <= 128);
}

TEST_CASE("sessions age a slice at a time on the clock, a full table gives back its aged ones",
          "[session]") {
  Runtime rt(1024);
  uint32_t idx = 0;
  for (uint32_t i = 0; i < 1024; ++i) {
    Session s = make(i);
    s.fwd.proto = s.rev.proto = ipproto::kUdp;  // 120 s
    s.last_seen = i < 512 ? 0 : 100;
    REQUIRE(rt.sessions.insert(s, idx));
  }
  // At 150 s the first 512 have aged: a slice of 256 slots removes what it looks at, no more.
  CHECK(rt.age_slice(150, 256) == 256);
  CHECK(rt.sessions.size() == 768);
  CHECK(rt.age_slice(150, 256) == 256);
  CHECK(rt.age_slice(150, 512) == 0);  // the live half
  CHECK(rt.sessions.size() == 512);
  // The cursor wraps: by 300 s every session has aged, and two slices of the whole table see them.
  CHECK(rt.age_slice(300, 1024) == 512);
  CHECK(rt.sessions.size() == 0);

  // A full table of aged sessions: reclaim removes them once a second, not at every packet.
  for (uint32_t i = 0; i < 1024; ++i) {
    Session s = make(i);
    s.fwd.proto = s.rev.proto = ipproto::kUdp;
    REQUIRE(rt.sessions.insert(s, idx));
  }
  CHECK(rt.reclaim(500) == 1024);
  for (uint32_t i = 0; i < 1024; ++i) {
    Session s = make(i);
    s.fwd.proto = s.rev.proto = ipproto::kUdp;
    s.last_seen = 400;
    REQUIRE(rt.sessions.insert(s, idx));
  }
  CHECK(rt.reclaim(500) == 0);  // the same second: no second scan
  CHECK(rt.reclaim(600) == 1024);
}
