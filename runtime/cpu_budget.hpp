// How many CPUs this process may use, and the I/O threads it gets by default
// (`[scheduler] io-threads = 0`, HTTP_THREADS=0: the default).
//
// Why half of them: the service rarely has its machine to itself. Its database,
// a proxy or a sidecar, and on the bench machine the load generator, run on the
// same cores, and a second I/O thread there only competes with them. Measured on
// 2 cores with PostgreSQL and wrk beside the service (docs/PERFORMANCE.md, "One
// I/O thread on two cores"): GET by id 17.4k req/s with one thread against 12.1k
// with two, /health/live 47-50k against 41-46k, POST users 6.2-7.0k against
// 5.8-6.2k. An operator whose service owns its cores sets HTTP_THREADS to them.
#pragma once

#include <optional>
#include <string_view>

namespace svc {

// CPUs a cgroup v2 `cpu.max` file allows ("200000 100000" -> 2.0; "max 100000"
// -> none, unlimited); nullopt for anything it cannot read.
std::optional<double> cgroup_cpu_limit(std::string_view cpu_max);

// The same from cgroup v1's `cpu.cfs_quota_us` and `cpu.cfs_period_us` ("-1":
// unlimited).
std::optional<double> cgroup_v1_cpu_limit(std::string_view quota_us, std::string_view period_us);

// The CPUs this process may run on (its affinity mask), capped by its cgroup's
// CPU quota rounded up; at least 1.
unsigned available_cpus();

// `configured` when set (non-zero), else half of `cpus`, at least 1.
unsigned io_threads_for(unsigned configured, unsigned cpus);

}  // namespace svc
