// What a training run reports: each record to the caller's observer, and the same records as
// JSONL metrics when the caller asked for a metrics file.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "charloom/run_events.hpp"

namespace charloom::train {

class RunLog {
 public:
  // `observer` may be null. Step records reach the metrics every log_every iterations, the
  // observer every step.
  RunLog(TrainingObserver* observer, std::int64_t log_every);
  // From now on the records also go to `path` ("" = none); `append` continues a resumed run's
  // curve. Opened once the run's settings are checked, so that a usage error truncates nothing.
  void open_metrics(const std::string& path, bool append);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void step(const StepRecord& record);
  void evaluation(const EvaluationRecord& record);
  void epoch(const EpochRecord& record);
  void probe(const ProbeRecord& record);
  void note(const std::string& text);
  void warning(const std::string& text);

 private:
  void write_metrics(const std::string& line);

  std::string metrics_path_;
  std::FILE* metrics_ = nullptr;
  TrainingObserver* observer_;
  std::int64_t log_every_;
};

}  // namespace charloom::train
