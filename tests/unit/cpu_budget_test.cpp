// The default number of I/O threads (runtime/cpu_budget.hpp): half the CPUs the
// process may use, where a cgroup's CPU quota counts as a cap.
#include "runtime/cpu_budget.hpp"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

namespace svc {
namespace {

TEST(CgroupCpuLimit, AQuotaOverItsPeriodIsTheCpusAllowed) {
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("200000 100000\n"), 2.0);
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("150000 100000"), 1.5);
  EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("50000 100000\n"), 0.5);
}

TEST(CgroupCpuLimit, MaxOrUnreadableTextIsNoLimit) {
  EXPECT_FALSE(cgroup_cpu_limit("max 100000\n"));
  EXPECT_FALSE(cgroup_cpu_limit(""));
  EXPECT_FALSE(cgroup_cpu_limit("200000"));
  EXPECT_FALSE(cgroup_cpu_limit("0 100000"));
  EXPECT_FALSE(cgroup_cpu_limit("2x0000 100000"));
  EXPECT_FALSE(cgroup_cpu_limit("200000 -1"));
}

TEST(CgroupV1CpuLimit, QuotaOverPeriodAndMinusOneIsNoLimit) {
  EXPECT_DOUBLE_EQ(*cgroup_v1_cpu_limit("300000\n", "100000\n"), 3.0);
  EXPECT_DOUBLE_EQ(*cgroup_v1_cpu_limit("50000", "100000"), 0.5);
  EXPECT_FALSE(cgroup_v1_cpu_limit("-1\n", "100000\n"));
  EXPECT_FALSE(cgroup_v1_cpu_limit("", ""));
  EXPECT_FALSE(cgroup_v1_cpu_limit("100000", "0"));
}

TEST(IoThreadsFor, ASetNumberIsKept) {
  EXPECT_EQ(io_threads_for(3, 2), 3u);
  EXPECT_EQ(io_threads_for(1, 64), 1u);
}

TEST(IoThreadsFor, ZeroMeansHalfTheCpusAndAtLeastOne) {
  EXPECT_EQ(io_threads_for(0, 1), 1u);
  EXPECT_EQ(io_threads_for(0, 2), 1u);
  EXPECT_EQ(io_threads_for(0, 3), 1u);
  EXPECT_EQ(io_threads_for(0, 8), 4u);
  EXPECT_EQ(io_threads_for(0, 0), 1u);
}

TEST(AvailableCpus, IsAtLeastOneAndAtMostTheMachines) {
  auto cpus = available_cpus();
  EXPECT_GE(cpus, 1u);
  EXPECT_LE(cpus, std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace
}  // namespace svc
