#include "config/aaa.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>

#include "config/secret.hpp"

namespace vfw::config {
namespace {

std::string_view trim(std::string_view s) {
  const size_t a = s.find_first_not_of(" \t\r");
  if (a == std::string_view::npos) return {};
  const size_t b = s.find_last_not_of(" \t\r");
  return s.substr(a, b - a + 1);
}

size_t indent_of(std::string_view line) {
  const size_t a = line.find_first_not_of(' ');
  return a == std::string_view::npos ? line.size() : a;
}

std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t a = s.find_first_not_of(" \t", pos);
    if (a == std::string_view::npos) break;
    size_t b = s.find_first_of(" \t", a);
    if (b == std::string_view::npos) b = s.size();
    out.push_back(s.substr(a, b - a));
    pos = b;
  }
  return out;
}

bool blank(std::string_view line) {
  return trim(line).empty();
}

// The cipher forms a device prints a password in, and vfw's own seal.
bool is_cipher_form(std::string_view text) {
  constexpr std::array kMarks = {"@%@%", "%$%$", "%^%#", "%@%@", "%#%#"};
  for (std::string_view mark : kMarks) {
    if (text.size() >= 2 * mark.size() && text.substr(0, mark.size()) == mark &&
        text.substr(text.size() - mark.size()) == mark)
      return true;
  }
  // irreversible-cipher forms of newer VRP: $1a$...$, $1b$..., $1c$..., $1d$...
  return text.size() > 4 && text[0] == '$' && text[1] == '1' && text[3] == '$';
}

// `password cipher TEXT` with TEXT in clear becomes `password cipher SEALED`, same indentation.
std::string sealed_password_line(std::string_view line) {
  const auto w = words(line);
  if (w.size() != 3 || w[0] != "password" || w[1] != "cipher" || is_cipher_form(w[2]))
    return std::string(line);
  return std::string(indent_of(line), ' ') + "password cipher " + seal_secret(w[2]);
}

// The lines [first, end) of manager-user `name`: its own line first, then the deeper-indented
// lines under it (blank lines within included, trailing blank lines not).
struct Section {
  size_t first = 0;
  size_t end = 0;
};

std::optional<Section> find_user(const OpaqueBlock& block, std::string_view name) {
  for (size_t i = 1; i < block.lines.size(); ++i) {
    const auto w = words(block.lines[i]);
    if (w.size() != 2 || w[0] != "manager-user" || w[1] != name) continue;
    const size_t depth = indent_of(block.lines[i]);
    Section s{i, i + 1};
    for (size_t j = i + 1; j < block.lines.size(); ++j) {
      if (blank(block.lines[j])) continue;
      if (indent_of(block.lines[j]) <= depth) break;
      s.end = j + 1;
    }
    return s;
  }
  return std::nullopt;
}

}  // namespace

bool ManagerUser::allows(std::string_view service) const {
  return std::find(service_types.begin(), service_types.end(), service) != service_types.end();
}

bool is_aaa_block(const OpaqueBlock& block) {
  return !block.lines.empty() && trim(block.lines[0]) == "aaa";
}

std::vector<ManagerUser> manager_users(const Config& config) {
  std::vector<ManagerUser> users;
  for (const auto& block : config.opaque) {
    if (!is_aaa_block(block)) continue;
    for (size_t i = 1; i < block.lines.size(); ++i) {
      const auto w = words(block.lines[i]);
      if (w.size() != 2 || w[0] != "manager-user") continue;
      const auto section = find_user(block, w[1]);
      ManagerUser u;
      u.name = std::string(w[1]);
      for (size_t j = section->first + 1; j < section->end; ++j) {
        const auto v = words(block.lines[j]);
        if (v.size() == 3 && v[0] == "password" && v[1] == "cipher") u.password = v[2];
        if (!v.empty() && v[0] == "service-type") {
          u.service_types.assign(v.begin() + 1, v.end());
        }
        if (v.size() == 2 && v[0] == "level" && v[1].size() <= 2 &&
            v[1].find_first_not_of("0123456789") == std::string_view::npos)
          u.level = std::stoi(std::string(v[1]));
      }
      // A later block naming the same user edits it, as the device merges them.
      auto same = std::find_if(users.begin(), users.end(),
                               [&](const ManagerUser& x) { return x.name == u.name; });
      if (same == users.end()) {
        users.push_back(std::move(u));
      } else {
        *same = std::move(u);
      }
    }
  }
  return users;
}

PasswordCheck check_password(const ManagerUser& user, std::string_view typed) {
  if (user.password.empty()) return PasswordCheck::NotSet;
  if (!is_sealed(user.password)) return PasswordCheck::Unreadable;
  const auto clear = open_secret(user.password);
  if (!clear) return PasswordCheck::Unreadable;
  // In constant time for equal lengths: how much of a guess was right must not show in timing.
  const bool same = clear->size() == typed.size() &&
                    CRYPTO_memcmp(clear->data(), typed.data(), typed.size()) == 0;
  return same ? PasswordCheck::Match : PasswordCheck::Mismatch;
}

std::string aaa_line_as_kept(std::string_view line) {
  return sealed_password_line(line);
}

std::optional<std::string> keep_typed_aaa_line(OpaqueBlock& block, const std::string& user,
                                               std::string_view line) {
  const auto w = words(line);
  if (w.empty()) return std::nullopt;
  auto& lines = block.lines;

  // manager-user NAME opens the user's view (making the user where there is none); typed in
  // another user's view it moves there, as a command of the parent view does.
  if (w.size() == 2 && w[0] == "manager-user") {
    if (!find_user(block, w[1])) lines.push_back(" manager-user " + std::string(w[1]));
    return std::string(w[1]);
  }
  if (w.size() == 3 && w[0] == "undo" && w[1] == "manager-user") {
    if (const auto s = find_user(block, w[2])) {
      lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(s->first),
                  lines.begin() + static_cast<std::ptrdiff_t>(s->end));
    }
    return std::nullopt;
  }
  const auto section = user.empty() ? std::nullopt : find_user(block, user);
  if (!section) {
    lines.push_back(" " + std::string(trim(line)));
    return std::nullopt;
  }

  // In a manager-user view: password, service-type and level are one line each, replaced when
  // typed again and removed by their undo form; anything else is added at the end of the user.
  const bool undo = w[0] == "undo";
  const std::string_view key = undo ? (w.size() > 1 ? w[1] : std::string_view{}) : w[0];
  std::string kept = "  " + std::string(trim(line));
  if (!undo && key == "password") kept = sealed_password_line(kept);
  if (key == "password" || key == "service-type" || key == "level") {
    for (size_t j = section->first + 1; j < section->end; ++j) {
      const auto v = words(lines[j]);
      if (v.empty() || v[0] != key) continue;
      if (undo) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(j));
      } else {
        lines[j] = kept;
      }
      return std::nullopt;
    }
    if (undo) return std::nullopt;
  }
  lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(section->end), kept);
  return std::nullopt;
}

}  // namespace vfw::config
