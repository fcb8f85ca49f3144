#include "device/wireshark_tables.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "ipsec/sad.hpp"

namespace vfw {
namespace {

void add_once(std::vector<std::string>& to, const std::string& record) {
  if (std::find(to.begin(), to.end(), record) == to.end()) to.push_back(record);
}

std::string write_atomically(const std::string& path, const std::vector<std::string>& lines) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    for (const auto& l : lines) f << l << '\n';
    if (!f) return "cannot write " + path + ": " + std::strerror(errno);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    std::remove(tmp.c_str());
    return "cannot write " + path + ": " + why;
  }
  return "";
}

}  // namespace

WiresharkTables wireshark_tables(const std::vector<const Device*>& devices) {
  WiresharkTables t;
  for (const Device* d : devices) {
    for (const auto& sa : d->runtime().sad.all()) {
      if (sa->protocol == ipproto::kEsp) add_once(t.esp_sa, ipsec::wireshark_esp_sa(*sa));
    }
    for (const auto& r : d->ike().engine().key_log().records()) add_once(t.ikev2, r);
    for (const auto& r : d->ike().engine_v1().key_log().records()) add_once(t.ikev1, r);
  }
  return t;
}

std::string write_wireshark_tables(const std::string& dir, const WiresharkTables& t) {
  for (const auto& [name, lines] :
       {std::pair<const char*, const std::vector<std::string>*>{"esp_sa", &t.esp_sa},
        {"ikev2_decryption_table", &t.ikev2},
        {"ikev1_decryption_table", &t.ikev1}}) {
    if (std::string error = write_atomically(dir + "/" + name, *lines); !error.empty())
      return error;
  }
  return "";
}

}  // namespace vfw
