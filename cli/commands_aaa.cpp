// aaa: the view of the device's local administrators. The block is kept as the configuration's
// own text (config/aaa.hpp); what vfw reads from it are the manager-users the SSH server logs in.
// Typed at the terminal, `aaa` returns to the one aaa block, `manager-user NAME` opens the user's
// view ([FW-aaa-manager-user-NAME]) and its password, service-type and level land under the user,
// the password sealed.
#include "cli/command_helpers.hpp"
#include "config/aaa.hpp"

namespace vfw::cli {
namespace {

constexpr std::string_view kAaaObject = "aaa#";

// The frame's object of an aaa view: "aaa#BLOCK" or "aaa#BLOCK#USER".
std::string aaa_object(size_t block, const std::string& user) {
  return std::string(kAaaObject) + std::to_string(block) + (user.empty() ? "" : "#" + user);
}

}  // namespace

void register_aaa_commands(CommandTree& system) {
  system.add("aaa", [](CommandContext& c, const Args&) -> Result {
    auto& blocks = c.config().opaque;
    size_t index = blocks.size();
    if (!c.loading) {
      for (size_t i = 0; i < blocks.size(); ++i) {
        if (config::is_aaa_block(blocks[i])) {
          index = i;
          break;
        }
      }
    }
    if (index == blocks.size()) {
      const std::string line(trim_right(c.loading ? c.current_line : "aaa"));
      blocks.push_back(config::OpaqueBlock{{line}});
    }
    c.enter(View::Opaque, aaa_object(index, ""), "aaa");
    return kOk;
  });
  add_unemulated_command(system, "undo aaa");
}

bool keep_aaa_view_line(CommandContext& c, std::string_view line) {
  const std::string& object = c.frame().object;
  if (object.compare(0, kAaaObject.size(), kAaaObject) != 0) return false;
  const size_t hash = object.find('#', kAaaObject.size());
  const size_t index = std::stoul(object.substr(kAaaObject.size(), hash - kAaaObject.size()));
  const std::string user = hash == std::string::npos ? "" : object.substr(hash + 1);
  auto& blocks = c.config().opaque;
  if (index >= blocks.size()) return false;
  config::OpaqueBlock& block = blocks[index];
  if (c.loading) {
    // A file's lines are the block's, as written (indentation, padding); only a clear password
    // is sealed.
    block.lines.push_back(config::aaa_line_as_kept(trim_right(line)));
    return true;
  }
  if (const auto opened = config::keep_typed_aaa_line(block, user, line)) {
    if (!user.empty()) c.pop_to(c.stack().size() - 1);
    c.enter(View::Opaque, aaa_object(index, *opened), "aaa-manager-user-" + *opened);
  }
  return true;
}

}  // namespace vfw::cli
