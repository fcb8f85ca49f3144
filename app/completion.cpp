#include "app/completion.hpp"

#include <sstream>
#include <vector>

namespace vfw {
namespace {

// What a value of this type completes to, as the bash lines that do it. Files and folders are
// left to readline's own completion (compopt -o default / -o dirnames with no match of ours),
// which knows ~, spaces and descending into folders; words are offered with compgen.
std::string value_completion(const std::string& type_name) {
  bool files = false;
  bool folders = false;
  std::vector<std::string> words;
  // "TEXT:{icmp,tcp,udp}", "FILE", "FILE|seed", "TEXT:DIR", "icmp|tcp|udp|N": the parts.
  std::vector<std::string> parts(1);
  for (char c : type_name) {
    if (c == ':' || c == '|') {
      parts.emplace_back();
    } else {
      parts.back() += c;
    }
  }
  for (const std::string& p : parts) {
    if (p == "FILE") {
      files = true;
    } else if (p == "DIR") {
      folders = true;
    } else if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      std::string word;
      for (char c : p.substr(1, p.size() - 2)) {
        if (c == ',') {
          words.push_back(word);
          word.clear();
        } else if (c != ' ') {
          word += c;
        }
      }
      words.push_back(word);
    } else if (!p.empty() &&
               p.find_first_not_of("abcdefghijklmnopqrstuvwxyz-") == std::string::npos) {
      words.push_back(p);  // a literal word, as `seed`
    }
  }
  std::string code;
  if (!words.empty()) {
    std::string list;
    for (const auto& w : words) list += (list.empty() ? "" : " ") + w;
    code += "mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen -W '" + list + "' -- \"$cur\"); ";
    // Beside a matching word, the files that match too (readline's own completion only runs
    // when nothing matched).
    if (files) {
      code +=
          "((${#COMPREPLY[@]})) && mapfile -t -O ${#COMPREPLY[@]} COMPREPLY < <(compgen -f -- "
          "\"$cur\"); ";
    }
  }
  if (files) code += "compopt -o default 2>/dev/null; ";
  if (folders) code += "compopt -o dirnames 2>/dev/null; ";
  return code;
}

struct Node {
  std::string path;  // " packet-trace", " export nft": the subcommands' words after the program
  const CLI::App* app;
};

void collect(const CLI::App* app, const std::string& path, std::vector<Node>& out) {
  out.push_back({path, app});
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    collect(sub, path + " " + sub->get_name(), out);
}

bool is_flag(const CLI::Option& o) {
  return o.get_expected_max() == 0;
}

std::vector<std::string> names_of(const CLI::Option& o) {
  std::vector<std::string> names;
  for (const auto& l : o.get_lnames()) names.push_back("--" + l);
  for (const auto& s : o.get_snames()) names.push_back("-" + s);
  return names;
}

// "\" packet-trace|--config\"|\" packet-trace|-c\"": a case pattern for path and these words.
std::string patterns(const std::string& path, const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : "|") + ("\"" + path + "|" + w + "\"");
  return out;
}

}  // namespace

std::string bash_completion(const CLI::App& app, const std::string& program) {
  std::vector<Node> nodes;
  collect(&app, "", nodes);
  const std::string fn = "_" + program + "_complete";
  std::ostringstream o;
  o << "# bash completion for " << program << ", made by `" << program
    << " completion bash` from its own options.\n"
       "# Install: "
    << program << " completion bash > /etc/bash_completion.d/" << program
    << "  (or source it from ~/.bashrc)\n";
  o << fn << "() {\n"
    << "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" path=\"\" i w skip=0\n"
    << "  ((COMP_CWORD > 0)) && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
    << "  # --option=value: bash splits it at '=' (COMP_WORDBREAKS); a caller may not.\n"
    << "  if [[ $cur == = ]]; then cur=\"\";\n"
    << "  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then prev=\"${COMP_WORDS[COMP_CWORD-2]}\";\n"
    << "  elif [[ $cur == --*=* ]]; then prev=\"${cur%%=*}\"; cur=\"${cur#*=}\"; fi\n"
    << "  COMPREPLY=()\n"
    << "  # The subcommands typed so far (an option's value is not one).\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    w=\"${COMP_WORDS[i]}\"\n"
    << "    [[ $w == = ]] && continue\n"
    << "    if ((skip)); then skip=0; continue; fi\n"
    << "    case \"$path|$w\" in\n";
  // Words that descend, and options whose next word is their value.
  for (const Node& n : nodes) {
    for (const CLI::App* sub : n.app->get_subcommands([](const CLI::App*) { return true; }))
      o << "      \"" << n.path << "|" << sub->get_name() << "\") path=\"" << n.path << " "
        << sub->get_name() << "\" ;;\n";
  }
  for (const Node& n : nodes) {
    std::vector<std::string> valued;
    for (const CLI::Option* opt : n.app->get_options()) {
      // A value that may be left out (--connect [SOCKET]) is not skipped: the next word may be
      // a subcommand's or an option.
      if (!opt->nonpositional() || is_flag(*opt) || opt->get_expected_min() == 0) continue;
      for (const auto& name : names_of(*opt)) valued.push_back(name);
    }
    if (!valued.empty()) o << "      " << patterns(n.path, valued) << ") skip=1 ;;\n";
  }
  o << "    esac\n"
    << "  done\n"
    << "  # The value of the option before the cursor.\n"
    << "  case \"$path|$prev\" in\n";
  for (const Node& n : nodes) {
    for (const CLI::Option* opt : n.app->get_options()) {
      if (!opt->nonpositional() || is_flag(*opt)) continue;
      o << "    " << patterns(n.path, names_of(*opt)) << ")\n      "
        << value_completion(opt->get_type_name()) << "return ;;  # " << opt->get_type_name()
        << "\n";
    }
  }
  o << "  esac\n"
    << "  case \"$path\" in\n";
  for (const Node& n : nodes) {
    std::string words;
    std::string positional;
    for (const CLI::Option* opt : n.app->get_options()) {
      if (!opt->nonpositional()) {
        positional += value_completion(opt->get_type_name());
        continue;
      }
      for (const auto& name : names_of(*opt)) words += " " + name;
    }
    std::string subs;
    for (const CLI::App* sub : n.app->get_subcommands([](const CLI::App*) { return true; }))
      subs += " " + sub->get_name();
    // One word a line into COMPREPLY (mapfile): no word is split or globbed.
    o << "    \"" << n.path << "\")\n";
    if (!words.empty()) {
      o << "      if [[ $cur == -* ]]; then mapfile -t COMPREPLY < <(compgen -W '"
        << words.substr(1) << "' -- \"$cur\"); return; fi\n";
    }
    if (!subs.empty())
      o << "      mapfile -t COMPREPLY < <(compgen -W '" << subs.substr(1) << "' -- \"$cur\")\n";
    if (!positional.empty()) o << "      " << positional << "\n";
    o << "      ;;\n";
  }
  o << "  esac\n"
    << "}\n"
    << "complete -F " << fn << " " << program << "\n";
  return o.str();
}

}  // namespace vfw
