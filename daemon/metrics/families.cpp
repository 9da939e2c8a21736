#include "families.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace adu::metrics {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily Family(std::string name, std::string help, MetricType type) {
  MetricFamily f;
  f.name = std::move(name);
  f.help = std::move(help);
  f.type = type;
  return f;
}

ClientMetric Sample(double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  m.counter.value = value;
  m.gauge.value = value;
  return m;
}

MetricFamily OperationsFamily(const FiguresSnapshot& s) {
  auto f = Family("adu_opwatch_operations",
                  "Watched operations by kind, state (as in the database's operations.state) and "
                  "last known status (empty until the first answer).",
                  MetricType::Gauge);
  for (const auto& o : s.operations) {
    f.metric.push_back(
        Sample(static_cast<double>(o.count), {{"kind", std::string(KindName(o.kind))},
                                              {"state", std::string(StateName(o.state))},
                                              {"status", o.status}}));
  }
  return f;
}

MetricFamily RequestsFamily(const FiguresSnapshot& s) {
  auto f = Family("adu_opwatch_requests_total",
                  "Requests answered, by call (get: one operation, list: one page of the "
                  "in-flight list, token: the token endpoint) and HTTP status code, or network / "
                  "timeout when no status came back.",
                  MetricType::Counter);
  for (const auto& r : s.requests) {
    f.metric.push_back(Sample(static_cast<double>(r.count),
                              {{"call", std::string(RequestCallName(r.call))}, {"code", r.code}}));
  }
  return f;
}

MetricFamily PollErrorsFamily(const FiguresSnapshot& s) {
  auto f = Family("adu_opwatch_poll_errors_total",
                  "Failed polls of an operation by category, as recorded in the poll_errors table.",
                  MetricType::Counter);
  for (const auto& [category, n] : s.poll_errors) {
    f.metric.push_back(
        Sample(static_cast<double>(n), {{"category", std::string(CategoryName(category))}}));
  }
  return f;
}

MetricFamily TransitionsFamily(const FiguresSnapshot& s) {
  auto f = Family("adu_opwatch_transitions_total",
                  "Status transitions recorded (rows of the transitions view, the first status "
                  "seen included) since the daemon started, by kind and new status.",
                  MetricType::Counter);
  for (const auto& t : s.transitions) {
    f.metric.push_back(
        Sample(static_cast<double>(t.count),
               {{"kind", std::string(KindName(t.kind))}, {"to_status", t.to_status}}));
  }
  return f;
}

// The outbox by target and state, and delivery attempts by target and result: only targets the
// daemon knows (configured, or with rows in the outbox).
void AddNotificationFamilies(const FiguresSnapshot& s, std::vector<MetricFamily>& out) {
  auto rows = Family("adu_opwatch_notifications",
                     "Rows of the notifications outbox by target and state (pending, delivered, "
                     "abandoned), as last counted (at most a few seconds old).",
                     MetricType::Gauge);
  for (const auto& n : s.notifications) {
    rows.metric.push_back(
        Sample(static_cast<double>(n.count), {{"target", n.target}, {"state", n.label}}));
  }
  out.push_back(std::move(rows));
  auto attempts = Family("adu_opwatch_notification_attempts_total",
                         "Delivery attempts since the daemon started by target and result "
                         "(delivered, retry, abandoned).",
                         MetricType::Counter);
  for (const auto& n : s.notification_attempts) {
    attempts.metric.push_back(
        Sample(static_cast<double>(n.count), {{"target", n.target}, {"result", n.label}}));
  }
  out.push_back(std::move(attempts));
}

MetricFamily DelayFamily(const FiguresSnapshot& s) {
  auto f = Family("adu_opwatch_detection_delay_seconds",
                  "For each new snapshot: when it was observed minus the service's "
                  "lastActionDateTime (negative clock skew counts as 0).",
                  MetricType::Histogram);
  ClientMetric m;
  m.histogram.sample_count = s.delay_count;
  m.histogram.sample_sum = s.delay_sum_seconds;
  for (const auto& [bound, cumulative] : s.delay_buckets) {
    m.histogram.bucket.push_back({cumulative, bound});
  }
  f.metric.push_back(std::move(m));
  return f;
}

void AddBudgetFamilies(const FiguresSnapshot& s, std::vector<MetricFamily>& out) {
  auto limit =
      Family("adu_opwatch_budget_requests_per_minute",
             "The configured request budget per minute, by call (poll.requests_per_minute, "
             "poll.list_requests_per_minute).",
             MetricType::Gauge);
  auto used = Family("adu_opwatch_budget_used_requests_per_minute",
                     "Requests taken from the budget over the last 60 seconds, by call.",
                     MetricType::Gauge);
  for (const auto& b : s.budgets) {
    const std::vector<ClientMetric::Label> labels = {
        {"call", std::string(RequestCallName(b.call))}};
    limit.metric.push_back(Sample(b.per_minute, labels));
    used.metric.push_back(Sample(static_cast<double>(b.used_last_minute), labels));
  }
  out.push_back(std::move(limit));
  out.push_back(std::move(used));
}

}  // namespace

std::vector<MetricFamily> FamiliesOf(const FiguresSnapshot& s, const std::string& version) {
  std::vector<MetricFamily> out;
  auto build = Family("adu_opwatch_build_info",
                      "Always 1; the version label says which build runs.", MetricType::Gauge);
  build.metric.push_back(Sample(1, {{"version", version}}));
  out.push_back(std::move(build));
  out.push_back(OperationsFamily(s));
  out.push_back(RequestsFamily(s));
  out.push_back(PollErrorsFamily(s));
  out.push_back(TransitionsFamily(s));
  auto last = Family("adu_opwatch_last_successful_poll_timestamp_seconds",
                     "Unix time of the last poll that got an answer the daemon could use (200 or "
                     "304, or a list page); 0 until the first one.",
                     MetricType::Gauge);
  last.metric.push_back(Sample(s.last_successful_poll_seconds));
  out.push_back(std::move(last));
  out.push_back(DelayFamily(s));
  AddBudgetFamilies(s, out);
  // Before the store's two: adu_opwatch_store_unavailable stays the last series (the textfile's
  // readers and tests take it as the end of a whole file).
  AddNotificationFamilies(s, out);
  auto queue = Family("adu_opwatch_store_queue_length",
                      "Poll results waiting to be written to the database.", MetricType::Gauge);
  queue.metric.push_back(Sample(static_cast<double>(s.store_queue_length)));
  out.push_back(std::move(queue));
  auto unavailable = Family("adu_opwatch_store_unavailable",
                            "1 while writes to the database are failing (results wait in memory), "
                            "else 0.",
                            MetricType::Gauge);
  unavailable.metric.push_back(Sample(s.store_unavailable ? 1 : 0));
  out.push_back(std::move(unavailable));
  return out;
}

std::string ExpositionText(const std::vector<MetricFamily>& families) {
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

FiguresCollectable::FiguresCollectable(const Figures& figures, const Clock& clock,
                                       std::string version)
    : figures_(figures), clock_(clock), version_(std::move(version)) {}

std::vector<MetricFamily> FiguresCollectable::Collect() const {
  return FamiliesOf(figures_.Read(clock_.Now()), version_);
}

}  // namespace adu::metrics
