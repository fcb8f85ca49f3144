// Small helpers shared by the command registrations: the object a view edits, and the address
// forms every policy command accepts.
#pragma once

#include <algorithm>
#include <optional>
#include <string>

#include "cli/command_engine.hpp"
#include "config/model.hpp"

namespace vfw::cli {

// A command's outcome: done, or the device's error line ("Error: ...") that refuses it.
using Result = Status;
inline const Result kOk{};

template <typename T, typename Pred>
T* find_if_ptr(std::vector<T>& v, Pred pred) {
  auto it = std::find_if(v.begin(), v.end(), pred);
  return it == v.end() ? nullptr : &*it;
}

template <typename T>
T* find_named(std::vector<T>& v, const std::string& name) {
  return find_if_ptr(v, [&](const T& x) { return x.name == name; });
}

template <typename T>
bool erase_named(std::vector<T>& v, const std::string& name) {
  auto it = std::find_if(v.begin(), v.end(), [&](const T& x) { return x.name == name; });
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

template <typename T>
void add_unique(std::vector<T>& v, const T& x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

template <typename T>
bool remove_value(std::vector<T>& v, const T& x) {
  auto it = std::find(v.begin(), v.end(), x);
  if (it == v.end()) return false;
  v.erase(it);
  return true;
}

// "source-address 10.1.1.0 24", "... mask 255.255.255.0", "... range A B", "... address-set S".
// Patterns register the arguments as a/m, lo/hi or set.
inline config::AddressItem address_item(const Args& args) {
  config::AddressItem item;
  if (args.has("range")) {
    item.kind = config::AddressItem::Kind::Range;
    item.lo = args.ip("lo");
    item.hi = args.ip("hi");
    if (item.hi < item.lo) std::swap(item.lo, item.hi);
  } else if (args.has("address-set")) {
    item.kind = config::AddressItem::Kind::Set;
    item.set = args.str("set");
  } else {
    item.prefix = Prefix::make(args.ip("a"), args.mask("m"));
  }
  return item;
}

// The address forms, for patterns: KEYWORD followed by one of them.
inline std::string address_forms(const std::string& keyword) {
  return keyword +
         " ( {ip:a} ( {mask:m} | mask {mask:m} ) | range {ip:lo} {ip:hi} | address-set {word:set} "
         ")";
}

// Checks names a rule refers to (zones, address-sets, services) when it is configured, as the
// device does, so that a compiled snapshot never holds a dangling reference.
Result check_zone(const config::Config& cfg, const std::string& zone);
Result check_address(const config::Config& cfg, const config::AddressItem& item);
Result check_service(const config::Config& cfg, const std::string& service);

}  // namespace vfw::cli
