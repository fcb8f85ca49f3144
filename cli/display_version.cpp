// display version: the software the device runs and how long it has been up, in the VRP layout
// automation parses (ntc-templates' huawei_vrp_display_version). vfw emulates the USG6000V's
// V500R005C10SPC300; the line after the blank one, which parsers stop at, says what runs it.
#include <string>

#include "cli/display_formats.hpp"
#include "device/device.hpp"

namespace vfw::cli {
namespace {

// "0 week, 2 days, 4 hours, 35 minutes": VRP's units, singular for one.
std::string uptime_text(uint64_t seconds) {
  const uint64_t minutes = seconds / 60 % 60, hours = seconds / 3600 % 24,
                 days = seconds / 86400 % 7, weeks = seconds / 604800;
  auto unit = [](uint64_t n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
  };
  return unit(weeks, "week", "weeks") + ", " + unit(days, "day", "days") + ", " +
         unit(hours, "hour", "hours") + ", " + unit(minutes, "minute", "minutes");
}

}  // namespace

std::string display_version(const Device& d) {
  std::string o;
  o += "Huawei Versatile Routing Platform Software\n";
  o += "VRP (R) software, Version 5.170 (USG6000V1 V500R005C10SPC300)\n";
  o += "Copyright (C) 2014-2018 Huawei Technologies Co., Ltd.\n";
  o += "HUAWEI USG6000V1 uptime is " + uptime_text(d.now_ms() / 1000) + "\n";
  o += "\n";
  o += "vfw " VFW_VERSION_TEXT ", an emulator of this device (not its software)\n";
  return o;
}

std::string vfw_version() {
  return VFW_VERSION_TEXT;
}

}  // namespace vfw::cli
