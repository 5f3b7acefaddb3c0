// Training progress on stderr, from the records a run reports.
#include "common/progress_printer.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace charloom::cli {
namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string clock_text(double seconds) {
  if (seconds < 0) return "?";
  const long total = std::lround(seconds);
  char buffer[32];
  if (total >= 3600) {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld:%02ld", total / 3600, total / 60 % 60, total % 60);
  } else {
    std::snprintf(buffer, sizeof buffer, "%ld:%02ld", total / 60, total % 60);
  }
  return buffer;
}

// A terminal is redrawn at most this often, in seconds.
constexpr double redraw_interval = 0.1;

}  // namespace

ProgressPrinter::ProgressPrinter(std::string app, bool quiet, std::int64_t log_every)
    : app_(std::move(app)),
      quiet_(quiet),
      terminal_(::isatty(STDERR_FILENO) == 1),
      log_every_(log_every > 0 ? log_every : 10) {}

ProgressPrinter::~ProgressPrinter() { finish(); }

void ProgressPrinter::on_step(const StepRecord& record) {
  last_ = record;
  if (quiet_) return;
  if (terminal_) {
    const double now = now_seconds();
    if (now - last_draw_ >= redraw_interval) {
      show(record);
      last_draw_ = now;
    }
  } else if (record.iteration % log_every_ == 0) {
    show(record);
  }
}

void ProgressPrinter::show(const StepRecord& f) {
  char text[256];
  char val[32] = "-";
  if (f.val_loss >= 0) std::snprintf(val, sizeof val, "%.4f", f.val_loss);
  const std::string total = f.max_iters > 0 ? "/" + std::to_string(f.max_iters) : "";
  std::snprintf(text, sizeof text, "iter %lld%s | epoch %.2f | train %.4f | val %s | %.0f chars/s | lr %.2e | ETA %s",
                static_cast<long long>(f.iteration), total.c_str(), f.epoch, f.train_loss, val, f.chars_per_second,
                f.lr, clock_text(f.eta_seconds).c_str());
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", text);
    line_open_ = true;
  } else {
    std::fprintf(stderr, "%s\n", text);
  }
  std::fflush(stderr);
}

void ProgressPrinter::on_evaluation(const EvaluationRecord& r) {
  last_.val_loss = r.val_loss;
  char text[160];
  std::snprintf(text, sizeof text, "eval at iter %lld: val %.4f nats/char, %.4f bits/char%s",
                static_cast<long long>(r.iteration), r.val_loss, r.val_bpc, r.best ? " (best)" : "");
  if (!quiet_) line(text);
}

void ProgressPrinter::on_epoch(const EpochRecord& r) {
  if (quiet_) return;
  char lm_part[32] = "", class_part[96] = "", text[320];
  if (r.has_lm_loss) std::snprintf(lm_part, sizeof lm_part, ", lm loss %.4f", r.lm_loss);
  if (r.has_class_models)
    std::snprintf(class_part, sizeof class_part, " (the classifier alone %.4f; class language models at weight %.2f)",
                  r.classifier_dev_accuracy, r.class_lm_weight);
  std::snprintf(text, sizeof text, "%s: epoch %lld: train loss %.4f%s, dev accuracy %.4f%s, dev loss %.4f%s, %.0f s",
                app_.c_str(), static_cast<long long>(r.epoch), r.train_loss, lm_part, r.dev_accuracy, class_part,
                r.dev_loss, r.best ? " (best)" : "", r.seconds);
  line(text);
}

void ProgressPrinter::on_probe(const ProbeRecord& r) {
  if (quiet_) return;
  char text[200];
  std::snprintf(text, sizeof text, "%s: %s probe, C = %g, %zu of %zu features used, dev accuracy %.4f", app_.c_str(),
                r.penalty.c_str(), r.c, r.nonzero_weights, r.features, r.dev_accuracy);
  line(text);
}

void ProgressPrinter::on_note(NoteKind kind, const std::string& text) {
  if (kind == NoteKind::warning) {
    line(app_ + ": warning: " + text);
  } else if (!quiet_) {
    line(text);
  }
}

// A line of its own, after clearing the progress line, which is then drawn again below it.
void ProgressPrinter::line(const std::string& text) {
  if (line_open_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  line_open_ = false;
  if (terminal_ && !quiet_ && last_.iteration > 0) show(last_);
  std::fflush(stderr);
}

void ProgressPrinter::finish() {
  if (line_open_) std::fprintf(stderr, "\n");
  line_open_ = false;
}

}  // namespace charloom::cli
