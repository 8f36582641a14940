#include "runtime/cpu_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace svc {
namespace {

std::optional<long long> whole_number(std::string_view text) {
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value <= 0)
    return std::nullopt;
  return value;
}

std::string read_file(const std::string& path) {
  std::ifstream in{path};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The cgroup v2 path of this process ("0::/kubepods/..." in /proc/self/cgroup).
std::string own_cgroup() {
  std::istringstream lines{read_file("/proc/self/cgroup")};
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("0::", 0) == 0)
      return line.substr(3);
  return {};
}

}  // namespace

std::optional<double> cgroup_cpu_limit(std::string_view cpu_max) {
  while (!cpu_max.empty() && (cpu_max.back() == '\n' || cpu_max.back() == ' '))
    cpu_max.remove_suffix(1);
  auto space = cpu_max.find(' ');
  if (space == std::string_view::npos)
    return std::nullopt;
  auto quota = whole_number(cpu_max.substr(0, space));
  auto period = whole_number(cpu_max.substr(space + 1));
  if (!quota || !period)
    return std::nullopt;  // "max": no limit, or not a cpu.max line
  return static_cast<double>(*quota) / static_cast<double>(*period);
}

unsigned available_cpus() {
  unsigned cpus = 0;
  cpu_set_t mask;
  if (sched_getaffinity(0, sizeof mask, &mask) == 0)
    cpus = static_cast<unsigned>(CPU_COUNT(&mask));
  if (cpus == 0)
    cpus = std::max(1u, std::thread::hardware_concurrency());
  // In a container the process's cgroup is the root of its view; on a host it
  // is a path below /sys/fs/cgroup.
  for (const auto& dir : {"/sys/fs/cgroup" + own_cgroup(), std::string{"/sys/fs/cgroup"}})
    if (auto limit = cgroup_cpu_limit(read_file(dir + "/cpu.max"))) {
      cpus = std::min(cpus, static_cast<unsigned>(std::max(1.0, std::ceil(*limit))));
      break;
    }
  return std::max(1u, cpus);
}

unsigned io_threads_for(unsigned configured, unsigned cpus) {
  if (configured != 0)
    return configured;
  return std::max(1u, cpus / 2);
}

}  // namespace svc
