// How train-model shows a run on stderr: a progress line (redrawn in place on a terminal,
// plain log lines otherwise), evaluation and epoch lines, and notes.
#pragma once

#include <cstdint>
#include <string>

#include "charloom/run_events.hpp"

namespace charloom::cli {

class ProgressPrinter : public TrainingObserver {
 public:
  // Prints nothing when `quiet` but warnings; plain lines every log_every iterations off a terminal.
  ProgressPrinter(std::string app, bool quiet, std::int64_t log_every);
  ~ProgressPrinter() override;
  ProgressPrinter(const ProgressPrinter&) = delete;
  ProgressPrinter& operator=(const ProgressPrinter&) = delete;

  void on_step(const StepRecord& record) override;
  void on_evaluation(const EvaluationRecord& record) override;
  void on_epoch(const EpochRecord& record) override;
  void on_probe(const ProbeRecord& record) override;
  void on_note(NoteKind kind, const std::string& text) override;
  // Ends an open progress line, so that what follows starts a line of its own.
  void finish();

 private:
  void show(const StepRecord& record);
  void line(const std::string& text);

  std::string app_;
  bool quiet_, terminal_;
  std::int64_t log_every_;
  double last_draw_ = -1.0;
  bool line_open_ = false;
  StepRecord last_;
};

}  // namespace charloom::cli
