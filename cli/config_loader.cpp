#include "cli/config_loader.hpp"

#include <cctype>
#include <fstream>
#include <sstream>

#include "cli/command_engine.hpp"

namespace vfw::cli {

std::string LoadError::format() const {
  std::string out = file + ":" + std::to_string(line) + ": " + message + "\n";
  if (syntax) {
    out += text + "\n" + std::string(column, ' ') + "^\n";
  } else {
    out += text + "\n";
  }
  return out;
}

namespace {

// After the root system's `return` a saved file may go on with `switch vsys NAME` sections, each
// ending in its own `return`: kept verbatim, reported once.
void keep_vsys_sections(std::string_view rest, LoadResult& result, CommandContext& ctx) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < rest.size()) {
    size_t end = rest.find('\n', pos);
    if (end == std::string_view::npos) end = rest.size();
    std::string line(rest.substr(pos, end - pos));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    lines.push_back(std::move(line));
    pos = end + 1;
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.empty()) return;
  result.config.vsys_sections = std::move(lines);
  ctx.note_unemulated("switch vsys");
}

}  // namespace

LoadResult load_config_text(std::string_view text, const std::string& file,
                            const config::Config& base) {
  LoadResult result;
  result.config = base;
  CommandContext ctx(result.config, nullptr);
  ctx.script_mode = true;
  ctx.loading = true;
  ctx.to_system();
  const CommandEngine& engine = command_engine();

  // The device ends a saved file with a NUL byte after `return`.
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    // CRLF files, and the trailing blanks some releases pad lines with.
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
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
        keep_vsys_sections(text.substr(std::min(pos, text.size())), result, ctx);
        break;
      }
      ctx.to_system();
    }
    LineResult r = engine.execute(ctx, line);
    if (!r.ok) {
      result.errors.push_back(LoadError{file, line_no, line, r.error, r.caret_column, r.syntax});
    }
    if (ctx.finished()) ctx.to_system();  // a stray "quit" at top level does not end the file
    if (end == text.size()) break;
  }
  result.notices = ctx.take_notices();
  return result;
}

LoadResult load_config_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.errors.push_back(LoadError{path, 0, "", "Error: Cannot open the file.", 0, false});
    return r;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), path);
}

}  // namespace vfw::cli
