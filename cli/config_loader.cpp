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
    LineResult r = engine.execute(ctx, line);
    if (!r.ok) {
      result.errors.push_back(LoadError{file, line_no, line, r.error, r.caret_column, r.syntax});
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
