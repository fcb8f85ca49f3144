// The VTY's line discipline (manage/vty_line.hpp): what an SSH client's keys become.
#include <catch2/catch.hpp>

#include "manage/vty_line.hpp"

using namespace vfw::manage;

namespace {

struct Typed {
  std::string echo;
  std::vector<VtyEvent> events;
};

// Feeds the keys as the session does: up to each event, then on.
Typed type(VtyLine& vty, std::string_view keys) {
  Typed t;
  std::span<const uint8_t> rest(reinterpret_cast<const uint8_t*>(keys.data()), keys.size());
  while (!rest.empty()) {
    std::optional<VtyEvent> event;
    const size_t taken = vty.feed(rest, t.echo, event);
    REQUIRE(taken > 0);
    rest = rest.subspan(taken);
    if (event) t.events.push_back(*event);
  }
  return t;
}

}  // namespace

TEST_CASE("keys become lines with their echo, CR, LF and CR LF each end one line", "[ssh][vty]") {
  VtyLine vty(510);
  const auto t = type(vty, "disp\x7fplay\r\nsys\nquit\r");
  REQUIRE(t.events.size() == 3);
  CHECK(t.events[0].text == "display");
  CHECK(t.events[1].text == "sys");
  CHECK(t.events[2].text == "quit");
  CHECK(t.echo == "disp\b \bplay\r\nsys\r\nquit\r\n");
}

TEST_CASE("? and Tab stop the line where they are typed, typed-ahead keys wait", "[ssh][vty]") {
  VtyLine vty(510);
  std::string echo;
  std::optional<VtyEvent> event;
  const std::string keys = "disp\tcur\r";
  const size_t taken =
      vty.feed({reinterpret_cast<const uint8_t*>(keys.data()), keys.size()}, echo, event);
  CHECK(taken == 5);  // "disp" and Tab: "cur" waits until the completion is drawn
  REQUIRE(event);
  CHECK(event->kind == VtyEvent::Kind::Complete);
  CHECK(event->text == "disp");
  vty.replace_typed("display ", echo);
  CHECK(vty.typed() == "display ");
  const auto rest = type(vty, "cur?");
  REQUIRE(rest.events.size() == 1);
  CHECK(rest.events[0].kind == VtyEvent::Kind::Help);
  CHECK(rest.events[0].text == "display cur?");
  CHECK(vty.typed() == "display cur");  // still typed after the help
}

TEST_CASE(
    "Ctrl+C abandons the line, Ctrl+Z asks for user view, Ctrl+U erases, arrows walk "
    "the history",
    "[ssh][vty]") {
  VtyLine vty(510);
  auto t = type(vty, "abc\x03");
  REQUIRE(t.events.size() == 1);
  CHECK(t.events[0].kind == VtyEvent::Kind::Cancel);
  CHECK(vty.typed().empty());
  t = type(vty, "x\x1a");
  CHECK(t.events.at(0).kind == VtyEvent::Kind::ToUserView);
  t = type(vty, "hello\x15");
  CHECK(vty.typed().empty());
  type(vty, "first\rsecond\r");
  type(vty, "\x1b[A");
  CHECK(vty.typed() == "second");
  type(vty, "\x1b[A");
  CHECK(vty.typed() == "first");
  type(vty, "\x1b[B\x1b[B");
  CHECK(vty.typed().empty());
  type(vty, "\x1b[C\x1bOD");  // other sequences do nothing
  CHECK(vty.typed().empty());
}

TEST_CASE("a line stops growing one past the device's longest, so it is refused whole",
          "[ssh][vty]") {
  VtyLine vty(511);
  const auto t = type(vty, std::string(600, 'a') + "\r");
  REQUIRE(t.events.size() == 1);
  CHECK(t.events[0].text.size() == 511);
  CHECK(t.echo.find('\a') != std::string::npos);
}
