// How a command of the vfw program ends: its error printed, one line each, after the command's
// name ("packet-trace: ..."), and the exit status the shell sees: 0 done, 1 failed, 2 a request
// that is not well formed.
#pragma once

#include <ostream>
#include <string_view>

#include "base/expected.hpp"

namespace vfw {

inline int exit_status(const Status& done, std::string_view command, std::ostream& err) {
  if (done) return 0;
  const std::string& message = done.error().message;
  for (size_t at = 0; at <= message.size();) {
    size_t end = message.find('\n', at);
    if (end == std::string::npos) end = message.size();
    err << command << ": " << std::string_view(message).substr(at, end - at) << "\n";
    at = end + 1;
  }
  return done.error().code == Errc::InvalidArgument ? 2 : 1;
}

}  // namespace vfw
