// The daemon's log lines for a log host, as the USG's `info-center loghost` sends them: syslog
// over UDP (RFC 3164), facility local7 (the device's default), the severity of the line's own
// MODULE/SEVERITY/BRIEF, and the device's layout of the message:
//   <190>Nov 29 2026 18:20:01 FW1 %%01VFW/6/START(l):FW1 running
#pragma once

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace vfw {

// nullopt for a line that carries no MODULE/SEVERITY/BRIEF: it is not a log record.
std::optional<std::string> syslog_message(std::string_view line, const std::string& sysname,
                                          std::time_t now);

}  // namespace vfw
