// What a training run tells its user: a progress line (in place on a terminal, plain log
// lines otherwise) and machine-readable metrics as JSONL.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

namespace charloom::train {

struct ProgressFigures {
  std::int64_t iteration = 0;
  std::int64_t max_iters = 0;  // 0 = unknown
  double epoch = 0.0;
  double train_loss = 0.0;
  double val_loss = -1.0;  // negative until the first evaluation
  double chars_per_second = 0.0;
  double eta_seconds = -1.0;  // negative when unknown
  double lr = 0.0;
};

class RunLog {
 public:
  // metrics_path "" writes no metrics; appends when resuming so the curve continues.
  RunLog(const std::string& metrics_path, bool append, bool quiet, std::int64_t log_every);
  ~RunLog();
  RunLog(const RunLog&) = delete;
  RunLog& operator=(const RunLog&) = delete;

  void train_step(const ProgressFigures& figures, double grad_norm, double seconds);
  void evaluation(std::int64_t iteration, double epoch, double val_loss, double seconds, bool best);
  // A line of its own, after clearing the progress line.
  void message(const std::string& text);
  void finish();

 private:
  void show(const ProgressFigures& figures);
  std::FILE* metrics_ = nullptr;
  bool quiet_, terminal_;
  std::int64_t log_every_;
  double last_draw_ = -1.0;
  bool line_open_ = false;
  ProgressFigures last_;
};

}  // namespace charloom::train
