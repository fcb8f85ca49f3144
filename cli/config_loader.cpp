#include "cli/config_loader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "cli/command_engine.hpp"

namespace vfw::cli {

std::string LoadError::format() const {
  if (line == 0) return file + ": " + message + "\n";  // about the whole file
  std::string out = file + ":" + std::to_string(line) + ": " + message + "\n";
  const bool cut = text.size() > kMaxEchoedLine;
  out += (cut ? text.substr(0, kMaxEchoedLine) + " ... (" + std::to_string(text.size()) +
                    " characters)"
              : text) +
         "\n";
  if (syntax && column <= kMaxEchoedLine) out += std::string(column, ' ') + "^\n";
  return out;
}

LoadResult load_config_text(std::string_view text, const std::string& file,
                            const config::Config& base, const LoadOptions& options) {
  LoadResult result;
  result.config = base;
  CommandContext ctx(result.config, nullptr);
  ctx.loading = true;
  ctx.strict = options.strict;
  ctx.to_system();
  const CommandEngine& engine = command_engine();

  // The device ends a saved file with a NUL byte after `return`.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  // After the root system's `return` a saved file may go on with `switch vsys NAME` sections,
  // each ending in its own `return`: kept verbatim (vfw emulates the root system), reported once.
  bool after_return = false;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    // CRLF files, and the trailing blanks some releases pad lines with.
    const std::string line(trim_right(text.substr(pos, end - pos)));
    pos = end + 1;
    ++line_no;
    if (after_return) {
      result.config.vsys_sections.push_back(line);
      if (end == text.size()) break;
      continue;
    }
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) {
      if (end == text.size()) break;
      continue;
    }
    const char lead = line[first];
    if (lead == '!') continue;  // comment lines of saved configurations
    if (lead == '#') {
      ctx.to_system();
      continue;
    }
    if (first == 0) {
      if (line == "return") {
        after_return = true;
        if (end == text.size()) break;
        continue;
      }
      ctx.to_system();
    }
    ++result.commands;
    LineResult r = engine.execute(ctx, line);
    if (!r.ok) {
      result.errors.push_back(
          LoadError{file, line_no, hide_secrets(line), r.error, r.caret_column, r.syntax});
    }
    if (ctx.finished()) ctx.to_system();  // a stray "quit" at top level does not end the file
    if (end == text.size()) break;
  }
  auto& vsys = result.config.vsys_sections;
  while (!vsys.empty() && vsys.back().empty()) vsys.pop_back();
  while (!vsys.empty() && vsys.front().empty()) vsys.erase(vsys.begin());
  if (!vsys.empty()) ctx.note_unemulated("switch vsys");
  result.notices = ctx.take_notices();
  return result;
}

namespace {

LoadResult refused(const std::string& path, const std::string& why) {
  LoadResult r;
  r.errors.push_back(LoadError{path, 0, "", "Error: " + why, 0, false});
  return r;
}

}  // namespace

LoadResult load_config_file(const std::string& path, const LoadOptions& options) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return refused(path, "Cannot open the file (" + std::string(std::strerror(errno)) + ").");
  struct stat st {};
  if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    close(fd);
    return refused(path, "It is a directory, not a configuration file.");
  }
  // Read at most the bound and one byte more, so that /dev/zero or a runaway file is refused
  // instead of read until memory runs out.
  std::string text;
  char chunk[65536];
  while (text.size() <= kMaxConfigBytes) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::string why = std::strerror(errno);
      close(fd);
      return refused(path, "Cannot read the file (" + why + ").");
    }
    if (n == 0) break;
    text.append(chunk, static_cast<size_t>(n));
  }
  close(fd);
  if (text.size() > kMaxConfigBytes) {
    return refused(path, "The file is larger than " + std::to_string(kMaxConfigBytes >> 20) +
                             " MiB; a configuration is not.");
  }
  // The device ends a saved file with one NUL; a NUL anywhere else means it is not text.
  const size_t nul = text.find('\0');
  if (nul != std::string::npos && text.find_first_not_of('\0', nul) != std::string::npos) {
    return refused(path, "The file is not text (a NUL byte at offset " + std::to_string(nul) +
                             "); it is not a configuration file.");
  }
  // Old Mac line endings: CR alone separates lines.
  if (text.find('\n') == std::string::npos) std::replace(text.begin(), text.end(), '\r', '\n');
  LoadResult r = load_config_text(text, path, config::Config::factory_default(), options);
  if (r.errors.empty() && r.commands == 0)
    return refused(path, "The file holds no configuration command.");
  return r;
}

}  // namespace vfw::cli
