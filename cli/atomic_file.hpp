// Writing a file whole or not at all, for `save` and for what vfw exports.
#pragma once

#include <string>

#include "base/expected.hpp"

namespace vfw::cli {

// A temporary file in the same folder, fsync, rename over the old one, fsync the folder: a crash
// leaves the old file or the new one, never half of either. A symbolic link stays a link (its
// target is replaced) and the file keeps its mode; a new file gets the usual mode under the
// umask. Why it failed in strerror's words, when it did.
Status write_file_atomically(const std::string& path, const std::string& text);

}  // namespace vfw::cli
