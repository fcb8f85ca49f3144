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

  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
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
      if (line == "return") break;
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
