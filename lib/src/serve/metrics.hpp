// The server's counters, and their Prometheus text for GET /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace charloom::serve {

// One language model's generation figures, written by its worker thread.
struct GenerationCounters {
  std::atomic<std::uint64_t> units{0};         // units generated
  std::atomic<std::uint64_t> steps{0};         // batched steps run
  std::atomic<std::uint64_t> stream_steps{0};  // streams summed over steps: occupancy = this / steps
  std::atomic<std::uint64_t> active{0};        // streams in the batch now
  std::atomic<std::uint64_t> queued{0};        // requests waiting for streams
  std::atomic<std::uint64_t> rejected{0};      // requests refused with 503, the queue full
};

class Metrics {
 public:
  void answered(const std::string& path, int status);
  GenerationCounters& generation(const std::string& model);  // created on first use
  std::string prometheus_text() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;
  std::map<std::string, GenerationCounters> generation_;
};

}  // namespace charloom::serve
