// How the device compares the words an engineer types: case-insensitively, a keyword by any
// prefix of it. One definition for the command tree, interface names, the lab's node names and
// its console's completion.
#pragma once

#include <algorithm>
#include <cctype>
#include <string_view>

namespace vfw::config {

inline bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Whether prefix begins word, in either case ("gi" begins "GigabitEthernet").
inline bool iprefix(std::string_view prefix, std::string_view word) {
  return prefix.size() <= word.size() && iequals(prefix, word.substr(0, prefix.size()));
}

}  // namespace vfw::config
