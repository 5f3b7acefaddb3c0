// Prometheus text exposition (version 0.0.4) of the server's counters.
#include "serve/metrics.hpp"

#include <sstream>

namespace charloom::serve {

void Metrics::answered(const std::string& path, int status) {
  const std::lock_guard<std::mutex> lock(mutex_);
  ++requests_[{path, status}];
}

GenerationCounters& Metrics::generation(const std::string& model) {
  const std::lock_guard<std::mutex> lock(mutex_);
  return generation_[model];  // std::map never moves its elements
}

std::string Metrics::prometheus_text() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  out << "# HELP charloom_requests_total HTTP requests answered, by path and status.\n"
         "# TYPE charloom_requests_total counter\n";
  for (const auto& [key, count] : requests_)
    out << "charloom_requests_total{path=\"" << key.first << "\",status=\"" << key.second << "\"} " << count << "\n";
  const auto family = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP charloom_" << name << " " << help << "\n# TYPE charloom_" << name << " " << type << "\n";
    for (const auto& [model, counters] : generation_)
      out << "charloom_" << name << "{model=\"" << model << "\"} " << value(counters) << "\n";
  };
  family("units_generated_total", "counter", "Units (characters) generated.",
         [](const GenerationCounters& c) { return c.units.load(); });
  family("active_streams", "gauge", "Streams in the batch now.",
         [](const GenerationCounters& c) { return c.active.load(); });
  family("queued_requests", "gauge", "Requests waiting for free streams.",
         [](const GenerationCounters& c) { return c.queued.load(); });
  family("rejected_requests_total", "counter", "Requests refused with 503 because the queue was full.",
         [](const GenerationCounters& c) { return c.rejected.load(); });
  family("steps_total", "counter", "Batched generation steps run.",
         [](const GenerationCounters& c) { return c.steps.load(); });
  family("batch_occupancy_average", "gauge", "Streams per step, averaged over every step run.",
         [](const GenerationCounters& c) {
           const std::uint64_t steps = c.steps.load();
           return steps == 0 ? 0.0 : static_cast<double>(c.stream_steps.load()) / static_cast<double>(steps);
         });
  return out.str();
}

}  // namespace charloom::serve
