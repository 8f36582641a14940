#include "runtime/cpu_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>

#include "config/value_parsers.hpp"

namespace svc {
namespace {

// CPUs allowed by a quota over its period, both in microseconds; none for
// cgroup v1's "-1" or v2's "max" (no limit) or anything unreadable.
std::optional<double> quota_over_period(std::string_view quota, std::string_view period) {
  constexpr auto most = std::numeric_limits<std::int64_t>::max();
  auto q = config_detail::parse_integer(quota, 1, most);
  auto p = config_detail::parse_integer(period, 1, most);
  if (!q || !p)
    return std::nullopt;
  return static_cast<double>(*q) / static_cast<double>(*p);
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.remove_suffix(1);
  return text;
}

// This process's path in one cgroup hierarchy, from /proc/self/cgroup: v2's
// line has no controllers ("0::/kubepods/..."), v1's names them ("4:cpu,cpuacct:/x").
std::string own_cgroup(std::string_view controller) {
  std::istringstream lines{read_file("/proc/self/cgroup")};
  for (std::string line; std::getline(lines, line);) {
    auto first = line.find(':');
    auto second = line.find(':', first + 1);
    if (first == std::string::npos || second == std::string::npos)
      continue;
    std::string_view names{line.data() + first + 1, second - first - 1};
    bool named = names.empty() && controller.empty();
    for (std::size_t at = 0; !named && !controller.empty() && at <= names.size();) {
      auto comma = std::min(names.find(',', at), names.size());
      named = names.substr(at, comma - at) == controller;
      at = comma + 1;
    }
    if (named)
      return line.substr(second + 1);
  }
  return {};
}

// The CPU quota of this process's cgroup: v2 first, then v1. In a container the
// process's cgroup is the root of its view; on a host it is a path below it.
std::optional<double> own_cpu_limit() {
  const std::string v2 = "/sys/fs/cgroup";
  for (const auto& dir : {v2 + own_cgroup(""), v2})
    if (auto limit = cgroup_cpu_limit(read_file(dir + "/cpu.max")))
      return limit;
  for (const auto* mount : {"/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct"})
    for (const auto& dir : {std::string{mount} + own_cgroup("cpu"), std::string{mount}})
      if (auto limit = cgroup_v1_cpu_limit(read_file(dir + "/cpu.cfs_quota_us"),
                                           read_file(dir + "/cpu.cfs_period_us")))
        return limit;
  return std::nullopt;
}

}  // namespace

std::optional<double> cgroup_cpu_limit(std::string_view cpu_max) {
  cpu_max = trimmed(cpu_max);
  auto space = cpu_max.find(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  return quota_over_period(cpu_max.substr(0, space), cpu_max.substr(space + 1));
}

std::optional<double> cgroup_v1_cpu_limit(std::string_view quota_us, std::string_view period_us) {
  return quota_over_period(trimmed(quota_us), trimmed(period_us));
}

unsigned available_cpus() {
  unsigned cpus = 0;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0)
    cpus = static_cast<unsigned>(CPU_COUNT(&mask));
  if (cpus == 0)
    cpus = std::max(1u, std::thread::hardware_concurrency());
  if (auto limit = own_cpu_limit())
    cpus = std::min(cpus, static_cast<unsigned>(std::max(1.0, std::ceil(*limit))));
  return std::max(1u, cpus);
}

unsigned io_threads_for(unsigned configured, unsigned cpus) {
  if (configured != 0)
    return configured;
  return std::max(1u, cpus / 2);
}

}  // namespace svc
