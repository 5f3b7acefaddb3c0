// Training records to the observer and to the JSONL metrics file.
#include "train/run_log.hpp"

#include <nlohmann/json.hpp>

#include "charloom/errors.hpp"

namespace charloom::train {

RunLog::RunLog(TrainingObserver* observer, std::int64_t log_every)
    : observer_(observer), log_every_(log_every > 0 ? log_every : 10) {}

void RunLog::open_metrics(const std::string& path, bool append) {
  if (path.empty()) return;
  metrics_path_ = path;
  metrics_ = std::fopen(path.c_str(), append ? "a" : "w");
  if (metrics_ == nullptr) throw IoError("cannot write metrics file " + path + "; choose a writable --metrics path");
}

RunLog::~RunLog() {
  if (metrics_ != nullptr) std::fclose(metrics_);
}

// One record a line, flushed at once so that a plot of a running job sees it.
void RunLog::write_metrics(const std::string& line) {
  if (metrics_ == nullptr) return;
  if (std::fputs(line.c_str(), metrics_) < 0 || std::fputc('\n', metrics_) == EOF || std::fflush(metrics_) != 0)
    throw IoError("cannot write metrics file " + metrics_path_ + " (is the disk full?); free space or drop --metrics");
}

void RunLog::step(const StepRecord& r) {
  if (r.iteration % log_every_ == 0)
    write_metrics(nlohmann::json{
        {"type", "train"},
        {"iteration", r.iteration},
        {"epoch", r.epoch},
        {"train_loss", r.train_loss},
        {"lr", r.lr},
        {"grad_norm", r.grad_norm},
        {"chars_per_second", r.chars_per_second},
        {"seconds",
         r.seconds}}.dump());
  if (observer_ != nullptr) observer_->on_step(r);
}

void RunLog::evaluation(const EvaluationRecord& r) {
  write_metrics(nlohmann::json{
      {"type", "eval"},
      {"iteration", r.iteration},
      {"epoch", r.epoch},
      {"val_loss", r.val_loss},
      {"val_bpc", r.val_bpc},
      {"seconds", r.seconds},
      {"best",
       r.best}}.dump());
  if (observer_ != nullptr) observer_->on_evaluation(r);
}

void RunLog::epoch(const EpochRecord& r) {
  nlohmann::json record{{"type", "eval"},
                        {"epoch", r.epoch},
                        {"iteration", r.iteration},
                        {"train_loss", r.train_loss},
                        {"dev_accuracy", r.dev_accuracy},
                        {"dev_loss", r.dev_loss},
                        {"lr", r.lr},
                        {"encoder_trained", r.encoder_trained},
                        {"best", r.best},
                        {"seconds", r.seconds}};
  if (r.has_lm_loss) record["lm_loss"] = r.lm_loss;
  if (r.has_class_models) {
    record["classifier_dev_accuracy"] = r.classifier_dev_accuracy;
    record["class_lm_weight"] = r.class_lm_weight;
  }
  write_metrics(record.dump());
  if (observer_ != nullptr) observer_->on_epoch(r);
}

void RunLog::probe(const ProbeRecord& r) {
  write_metrics(nlohmann::json{
      {"type", "probe"},
      {"penalty", r.penalty},
      {"c", r.c},
      {"nonzero_weights", r.nonzero_weights},
      {"dev_accuracy", r.dev_accuracy},
      {"seconds",
       r.seconds}}.dump());
  if (observer_ != nullptr) observer_->on_probe(r);
}

void RunLog::note(const std::string& text) {
  if (observer_ != nullptr) observer_->on_note(NoteKind::info, text);
}

void RunLog::warning(const std::string& text) {
  if (observer_ != nullptr) observer_->on_note(NoteKind::warning, text);
}

}  // namespace charloom::train
