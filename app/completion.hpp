// `vfw completion bash`: bash's completion for vfw, generated from the command line's own
// definition (CLI11's tree of subcommands and options), so that it cannot drift from it.
//
// What a value completes to comes from the option's type name, as `--help` shows it: FILE (file
// names), DIR (folders), {a,b,c} (CLI11's IsMember: those words), a lower-case word (itself, as
// `seed` for `vfw lab`), anything else nothing (an address, a number: the user types it).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace vfw {

std::string bash_completion(const CLI::App& app, const std::string& program);

}  // namespace vfw
