#include "observability/process_collector.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <system_error>
#include <unistd.h>

namespace svc {
namespace {

struct stat_fields {
  unsigned long long utime = 0, stime = 0, starttime = 0, vsize_bytes = 0;
  long long rss_pages = 0;
};

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it{"/proc/self/fd", ec}, end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return 0;
  return static_cast<double>(limit.rlim_cur);
}

stat_fields read_stat() {
  stat_fields f;
  std::ifstream in{"/proc/self/stat"};
  std::string line;
  std::getline(in, line);
  // Fields after the parenthesised command name, which may itself hold spaces.
  auto close = line.rfind(')');
  if (close == std::string::npos)
    return f;
  std::istringstream rest{line.substr(close + 2)};
  std::string field;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14)
      f.utime = std::stoull(field);
    if (i == 15)
      f.stime = std::stoull(field);
    if (i == 22)
      f.starttime = std::stoull(field);
    if (i == 23)
      f.vsize_bytes = std::stoull(field);
    if (i == 24) {
      f.rss_pages = std::stoll(field);
      break;
    }
  }
  return f;
}

double read_start_time() {
  std::ifstream in{"/proc/stat"};
  std::string key;
  double boot_time = 0;
  while (in >> key)
    if (key == "btime") {
      in >> boot_time;
      break;
    }
  return boot_time + static_cast<double>(read_stat().starttime) / sysconf(_SC_CLK_TCK);
}

prometheus::MetricFamily family(std::string name, std::string help, prometheus::MetricType type,
                                double value) {
  prometheus::ClientMetric m;
  if (type == prometheus::MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return {std::move(name), std::move(help), type, {m}};
}

}  // namespace

process_collector::process_collector() : start_time_(read_start_time()) {
}

std::vector<prometheus::MetricFamily> process_collector::Collect() const {
  long ticks = sysconf(_SC_CLK_TCK);
  auto stat = read_stat();
  return {
    family("process_resident_memory_bytes", "Resident memory size in bytes.",
           prometheus::MetricType::Gauge,
           static_cast<double>(stat.rss_pages) * sysconf(_SC_PAGESIZE)),
    family("process_virtual_memory_bytes", "Virtual memory size in bytes.",
           prometheus::MetricType::Gauge, static_cast<double>(stat.vsize_bytes)),
    family("process_open_fds", "Number of open file descriptors.", prometheus::MetricType::Gauge,
           static_cast<double>(open_fds())),
    family("process_max_fds", "Maximum number of open file descriptors.",
           prometheus::MetricType::Gauge, max_fds()),
    family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
           prometheus::MetricType::Counter, static_cast<double>(stat.utime + stat.stime) / ticks),
    family("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
           prometheus::MetricType::Gauge, start_time_),
  };
}

}  // namespace svc
