// adu-opwatch's figures as Prometheus metric families (docs/metrics.md lists every series).
//
// The series names and labels are a contract: add, never rename or drop.
//
// Thread-safety: FamiliesOf is a pure function; FiguresCollectable::Collect() may run on any
// thread (the exposer's, the textfile writer's) and only reads the Figures.
#pragma once

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

#include "adu/core/clock.h"
#include "adu/core/metrics.h"

namespace adu::metrics {

std::vector<prometheus::MetricFamily> FamiliesOf(const FiguresSnapshot& figures,
                                                 const std::string& version);

// The Prometheus text exposition format (version 0.0.4) of `families`.
std::string ExpositionText(const std::vector<prometheus::MetricFamily>& families);

class FiguresCollectable final : public prometheus::Collectable {
 public:
  // Both must outlive this object.
  FiguresCollectable(const Figures& figures, const Clock& clock, std::string version);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  const Figures& figures_;
  const Clock& clock_;
  std::string version_;
};

}  // namespace adu::metrics
