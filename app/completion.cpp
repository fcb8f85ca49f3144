#include "app/completion.hpp"

#include <sstream>
#include <vector>

namespace vfw {
namespace {

// What a value of type_name completes to: bash's compgen arguments, "" for nothing.
std::string value_completion(const std::string& type_name) {
  std::string actions;
  std::vector<std::string> words;
  // "TEXT:{icmp,tcp,udp}", "FILE", "FILE|seed", "DIR": the parts, split at ':' and '|'.
  std::string part;
  std::vector<std::string> parts;
  for (char c : type_name) {
    if (c == ':' || c == '|') {
      parts.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
  parts.push_back(part);
  for (const std::string& p : parts) {
    if (p == "FILE") {
      actions += " -f";
    } else if (p == "DIR") {
      actions += " -d";
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
      words.push_back(p);
    }
  }
  if (!words.empty()) {
    std::string list;
    for (const auto& w : words) list += (list.empty() ? "" : " ") + w;
    actions += " -W '" + list + "'";
  }
  return actions;
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
    << "  COMPREPLY=()\n"
    << "  # The subcommands typed so far (an option's value is not one).\n"
    << "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
    << "    w=\"${COMP_WORDS[i]}\"\n"
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
      if (!opt->nonpositional() || opt->get_type_size_max() == 0 || opt->get_expected_min() == 0)
        continue;
      for (const auto& l : opt->get_lnames()) valued.push_back("--" + l);
      for (const auto& s : opt->get_snames()) valued.push_back("-" + s);
    }
    if (valued.empty()) continue;
    o << "      ";
    for (size_t i = 0; i < valued.size(); ++i)
      o << (i == 0 ? "" : "|") << "\"" << n.path << "|" << valued[i] << "\"";
    o << ") skip=1 ;;\n";
  }
  o << "    esac\n"
    << "  done\n"
    << "  # The value of the option before the cursor.\n"
    << "  case \"$path|$prev\" in\n";
  for (const Node& n : nodes) {
    for (const CLI::Option* opt : n.app->get_options()) {
      if (!opt->nonpositional() || opt->get_type_size_max() == 0) continue;
      std::vector<std::string> names;
      for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
      for (const auto& s : opt->get_snames()) names.push_back("-" + s);
      o << "    ";
      for (size_t i = 0; i < names.size(); ++i)
        o << (i == 0 ? "" : "|") << "\"" << n.path << "|" << names[i] << "\"";
      const std::string actions = value_completion(opt->get_type_name());
      if (actions.empty()) {
        o << ") return ;;\n";  // a value the user types: nothing to offer
      } else {
        o << ")\n      "
          << (actions.find("-f") != std::string::npos ? "compopt -o filenames 2>/dev/null; " : "")
          << "COMPREPLY=($(compgen" << actions << " -- \"$cur\")); return ;;\n";
      }
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
      for (const auto& l : opt->get_lnames()) words += " --" + l;
      for (const auto& s : opt->get_snames()) words += " -" + s;
    }
    std::string subs;
    for (const CLI::App* sub : n.app->get_subcommands([](const CLI::App*) { return true; }))
      subs += " " + sub->get_name();
    o << "    \"" << n.path << "\")\n"
      << "      if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W '" << words.substr(1)
      << "' -- \"$cur\")); return; fi\n";
    if (!subs.empty())
      o << "      COMPREPLY=($(compgen -W '" << subs.substr(1) << "' -- \"$cur\"))\n";
    if (!positional.empty()) {
      o << "      "
        << (positional.find("-f") != std::string::npos ? "compopt -o filenames 2>/dev/null; " : "")
        << "COMPREPLY+=($(compgen" << positional << " -- \"$cur\"))\n";
    }
    o << "      ;;\n";
  }
  o << "  esac\n"
    << "}\n"
    << "complete -F " << fn << " " << program << "\n";
  return o.str();
}

}  // namespace vfw
