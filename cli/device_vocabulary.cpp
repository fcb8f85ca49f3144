// The device's own keywords that vfw does not emulate (docs/research/device-vocabulary.txt, with
// the sources each comes from): registered so that abbreviations resolve against what the
// device has (`d c` is ambiguous, as display clock, cpu-usage and current-configuration all begin
// so) and so that such a command answers that vfw does not emulate it instead of
// "Unrecognized command". In the system view they are kept verbatim, as every device line vfw
// does not emulate; in the user view and under display they only answer.
#include <string>
#include <string_view>

#include "cli/command_helpers.hpp"

namespace vfw::cli {
namespace {

struct DeviceKeyword {
  View view;
  std::string_view words;  // "display clock"
  std::string_view help;   // the device's `?` text where it was found, else empty
};

constexpr DeviceKeyword kVocabulary[] = {
#include "cli/device_vocabulary_data.inc"
};

// Whether the keyword path already leads somewhere in the tree (emulated or kept).
bool known(const CommandTree& tree, std::string_view words) {
  const Node* node = &tree.root();
  for (const Token& t : tokenize(words)) {
    const Node* next = nullptr;
    for (const auto& child : node->children) {
      if (child->type == ParamType::Keyword && child->name == t.text) next = child.get();
    }
    if (next == nullptr) return false;
    node = next;
  }
  return true;
}

}  // namespace

void register_device_vocabulary(CommandEngine& e) {
  for (const DeviceKeyword& k : kVocabulary) {
    CommandTree& tree = e.tree(k.view);
    const std::string words(k.words);
    // display, quit and return live in the tree of commands valid in every view.
    if (known(tree, words) || known(e.tree(View::Global), words)) continue;
    if (k.view == View::System) {
      add_unemulated_command(tree, words);
    } else {
      tree.add(
          words + " [ {text:rest} ]",
          [words](CommandContext&, const Args&) -> Result {
            return fail("Error: \"" + words +
                        "\" is a command of the device that vfw does not emulate.");
          },
          CommandKind::NotEmulated);
    }
    if (!k.help.empty()) tree.describe(words, std::string(k.help));
  }
}

}  // namespace vfw::cli
