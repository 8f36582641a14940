#pragma once
// process_* metrics from /proc/self (observability/metrics.cpp registers it).
// Private to observability/: it carries prometheus-cpp's headers.

#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace svc {

// process_* metrics from /proc/self, as the Prometheus client libraries define them.
class process_collector : public prometheus::Collectable {
public:
  process_collector();

  std::vector<prometheus::MetricFamily> Collect() const override;

private:
  double start_time_;
};

}  // namespace svc
