// display cpu-usage and display memory-usage: the vfw process's own figures, in the VRP5 layout
// (docs/research/daily-displays.txt 5a). CPU is the process's user and system time over the wall
// time of each window, from samples taken at each display and at each tick of `vfw run`
// (sample_process_usage); a window older than the first sample counts from the process's start.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <deque>
#include <fstream>
#include <string>

#include "cli/display_formats.hpp"

namespace vfw::cli {
namespace {

struct Sample {
  double wall = 0;  // seconds, steady clock
  double cpu = 0;   // seconds of user and system time
};

double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double cpu_now() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

struct Usage {
  Sample start{wall_now(), cpu_now()};
  std::deque<Sample> samples;  // the last five minutes' (and one before them)
  double max_percent = 0;
  std::time_t max_at = 0;
};

Usage& usage() {
  static Usage u;
  return u;
}

// The process's CPU share over the last `window` seconds, as a percentage of one core.
double percent_over(double window) {
  Usage& u = usage();
  const Sample now{wall_now(), cpu_now()};
  Sample from = u.start;
  for (const Sample& s : u.samples) {
    if (now.wall - s.wall <= window) break;
    from = s;
  }
  const double wall = now.wall - from.wall;
  return wall <= 0 ? 0 : 100.0 * (now.cpu - from.cpu) / wall;
}

std::string date_text(std::time_t t, const char* layout) {
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, layout, &tm);
  return buf;
}

// A field of /proc/meminfo or /proc/self/status, in kB; 0 when absent.
uint64_t proc_kb(const char* file, const std::string& key) {
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.compare(0, key.size(), key) == 0 && line.size() > key.size() &&
        line[key.size()] == ':')
      return std::stoull(line.substr(key.size() + 1));
  }
  return 0;
}

}  // namespace

void sample_process_usage() {
  Usage& u = usage();
  const Sample s{wall_now(), cpu_now()};
  u.samples.push_back(s);
  while (u.samples.size() > 2 && s.wall - u.samples[1].wall > 300) u.samples.pop_front();
  // The cycle's figure, kept at its highest.
  const double p = percent_over(60);
  if (p >= u.max_percent) {
    u.max_percent = p;
    u.max_at = std::time(nullptr);
  }
}

std::string display_cpu_usage() {
  sample_process_usage();
  const Usage& u = usage();
  const auto pct = [](double p) { return static_cast<int>(p + 0.5); };
  const std::time_t now = std::time(nullptr);
  const double cycle = percent_over(60);
  std::string o = "CPU Usage Stat. Cycle: 60 (Second)\n";
  o += format("CPU Usage            : %d%% Max: %d%%\n", pct(cycle),
              pct(std::max(cycle, u.max_percent)));
  o += "CPU Usage Stat. Time : " + date_text(now, "%Y-%m-%d  %H:%M:%S") + " \n";
  o += format("CPU utilization for five seconds: %d%%: one minute: %d%%: five minutes: %d%%\n",
              pct(percent_over(5)), pct(percent_over(60)), pct(percent_over(300)));
  o += "Max CPU Usage Stat. Time : " + date_text(u.max_at, "%Y-%m-%d %H:%M:%S") + ".\n";
  return o;
}

std::string display_memory_usage() {
  const uint64_t total = proc_kb("/proc/meminfo", "MemTotal") * 1024;
  const uint64_t used = proc_kb("/proc/self/status", "VmRSS") * 1024;
  std::string o = " Memory utilization statistics at " +
                  date_text(std::time(nullptr), "%Y-%m-%d %H:%M:%S") + "\n";
  o += format(" System Total Memory Is: %llu bytes\n", static_cast<unsigned long long>(total));
  o += format(" Total Memory Used Is: %llu bytes\n", static_cast<unsigned long long>(used));
  o += format(" Memory Using Percentage Is: %llu%%\n",
              static_cast<unsigned long long>(total == 0 ? 0 : (used * 100 + total / 2) / total));
  return o;
}

}  // namespace vfw::cli
