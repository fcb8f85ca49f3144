// Loading a configuration file: the command engine run over the file's lines, all or nothing.
//
// The file is what `display current-configuration` prints (or `save` writes): "#" separators,
// top-level commands at column 0 run in system view, indented lines in the view the last
// top-level command entered. Every error is collected with file, line and caret; if there is any,
// nothing of the file is applied (the caller keeps its configuration).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/model.hpp"

namespace vfw::cli {

struct LoadError {
  std::string file;
  size_t line = 0;
  std::string text;     // the offending line as written
  std::string message;  // the device's error text
  size_t column = 0;
  bool syntax = false;  // caret errors print the caret line
  std::string format() const;
};

struct LoadResult {
  config::Config config;
  std::vector<LoadError> errors;
  std::vector<std::string> notices;  // "not emulated" information, once per command
  size_t commands = 0;               // the lines run as commands (not separators or comments)
  bool ok() const { return errors.empty(); }
};

// A configuration is text of bounded size: a larger file is refused before it is read whole.
inline constexpr size_t kMaxConfigBytes = size_t{64} << 20;
// An error shows at most this much of its line, so that a huge line does not flood the terminal.
inline constexpr size_t kMaxEchoedLine = 512;

// How a file is read. A saved configuration is the device's own, so by default a line vfw does
// not know is kept verbatim where it stands; strict (`vfw check --strict`, for hand-written files)
// makes it an error instead.
struct LoadOptions {
  bool strict = false;
};

LoadResult load_config_text(std::string_view text, const std::string& file,
                            const config::Config& base = config::Config::factory_default(),
                            const LoadOptions& options = {});
LoadResult load_config_file(const std::string& path, const LoadOptions& options = {});

}  // namespace vfw::cli
