// The daemon's log lines as a log host receives them (app/log_host.hpp): RFC 3164's priority
// (facility local7 and the line's severity), the date, the device's name, then the record in the
// device's layout; a line without MODULE/SEVERITY/BRIEF is not sent.
#include <catch2/catch.hpp>

#include "app/log_host.hpp"
#include "device/log_buffer.hpp"

using namespace vfw;

TEST_CASE("a log line becomes the syslog message a log host receives", "[cli]") {
  const std::time_t at = 1795975201;  // 2026-11-29 18:00:01 UTC
  CHECK(syslog_message("VFW/6/START: FW1 running", "FW1", at) ==
        "<190>Nov 29 2026 18:00:01 FW1 %%01VFW/6/START(l):FW1 running");
  // IKE's lines carry their own timestamp first; the record is found after it.
  CHECK(syslog_message("2026-11-29 18:00:00.123 IPSEC/6/SA: inbound ESP SA spi 1", "FW3", at) ==
        "<190>Nov 29 2026 18:00:01 FW3 %%01IPSEC/6/SA(l):inbound ESP SA spi 1");
  CHECK(syslog_message("IKE/4/CONFIG: no usable key", "FW1", at)->rfind("<188>", 0) == 0);
  CHECK(syslog_message("VFW/3/BIND: eth9", "FW1", at)->rfind("<187>", 0) == 0);
  CHECK_FALSE(syslog_message("just text", "FW1", at));
  CHECK_FALSE(syslog_message("VFW/9/START: severity out of range", "FW1", at));
  CHECK_FALSE(syslog_message("vfw/6/start: lower case", "FW1", at));
}

TEST_CASE("a log line from outside is one line of data wherever it is written", "[log]") {
  // A user name that would forge a record, and an escape sequence for the reader's terminal.
  const std::string forged = "User=admin\nFW1 SSH/5/SSH_USER_LOGIN: forged\x1b[2J\x7f";
  const std::string safe = log_safe(forged);
  CHECK(safe == "User=admin\\x0aFW1 SSH/5/SSH_USER_LOGIN: forged\\x1b[2J\\x7f");
  CHECK(log_safe(safe) == safe);  // twice changes nothing more
  LogBuffer buffer;
  buffer.add("SSH/5/SSH_USER_LOGIN_FAIL: The SSH user failed to login. (" + forged + ")", 0);
  const std::string shown = buffer.display("FW1");
  CHECK(shown.find("\nFW1 SSH") == std::string::npos);
  CHECK(shown.find('\x1b') == std::string::npos);
  CHECK(shown.find("(User=admin\\x0aFW1 SSH/5/SSH_USER_LOGIN: forged\\x1b[2J\\x7f)\n") !=
        std::string::npos);
}
