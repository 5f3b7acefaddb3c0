// Progress display and JSONL metrics for training runs.
#include "train/run_log.hpp"

#include <unistd.h>

#include <chrono>
#include <cmath>

#include <nlohmann/json.hpp>

#include "charloom/errors.hpp"

namespace charloom::train {
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

constexpr double nats_to_bits = 1.4426950408889634;
constexpr double redraw_interval = 0.1;

}  // namespace

RunLog::RunLog(const std::string& metrics_path, bool append, bool quiet, std::int64_t log_every)
    : quiet_(quiet), terminal_(::isatty(STDERR_FILENO) == 1), log_every_(log_every > 0 ? log_every : 10) {
  if (!metrics_path.empty()) {
    metrics_ = std::fopen(metrics_path.c_str(), append ? "a" : "w");
    if (metrics_ == nullptr)
      throw IoError("cannot write metrics file " + metrics_path + "; choose a writable --metrics path");
  }
}

RunLog::~RunLog() {
  if (metrics_ != nullptr) std::fclose(metrics_);
}

void RunLog::train_step(const ProgressFigures& figures, double grad_norm, double seconds) {
  last_ = figures;
  if (metrics_ != nullptr && figures.iteration % log_every_ == 0) {
    nlohmann::json record{{"type", "train"},
                          {"iteration", figures.iteration},
                          {"epoch", figures.epoch},
                          {"train_loss", figures.train_loss},
                          {"lr", figures.lr},
                          {"grad_norm", grad_norm},
                          {"chars_per_second", figures.chars_per_second},
                          {"seconds", seconds}};
    std::fprintf(metrics_, "%s\n", record.dump().c_str());
    std::fflush(metrics_);
  }
  if (quiet_) return;
  if (terminal_) {
    const double now = now_seconds();
    if (now - last_draw_ >= redraw_interval) {
      show(figures);
      last_draw_ = now;
    }
  } else if (figures.iteration % log_every_ == 0) {
    show(figures);
  }
}

void RunLog::show(const ProgressFigures& f) {
  char line[256];
  char val[32] = "-";
  if (f.val_loss >= 0) std::snprintf(val, sizeof val, "%.4f", f.val_loss);
  const std::string total = f.max_iters > 0 ? "/" + std::to_string(f.max_iters) : "";
  std::snprintf(line, sizeof line, "iter %lld%s | epoch %.2f | train %.4f | val %s | %.0f chars/s | lr %.2e | ETA %s",
                static_cast<long long>(f.iteration), total.c_str(), f.epoch, f.train_loss, val, f.chars_per_second,
                f.lr, clock_text(f.eta_seconds).c_str());
  if (terminal_) {
    std::fprintf(stderr, "\r\033[K%s", line);
    line_open_ = true;
  } else {
    std::fprintf(stderr, "%s\n", line);
  }
  std::fflush(stderr);
}

void RunLog::evaluation(std::int64_t iteration, double epoch, double val_loss, double seconds, bool best) {
  last_.val_loss = val_loss;
  if (metrics_ != nullptr) {
    nlohmann::json record{{"type", "eval"},
                          {"iteration", iteration},
                          {"epoch", epoch},
                          {"val_loss", val_loss},
                          {"val_bpc", val_loss * nats_to_bits},
                          {"seconds", seconds},
                          {"best", best}};
    std::fprintf(metrics_, "%s\n", record.dump().c_str());
    std::fflush(metrics_);
  }
  char text[160];
  std::snprintf(text, sizeof text, "eval at iter %lld: val %.4f nats/char, %.4f bits/char%s",
                static_cast<long long>(iteration), val_loss, val_loss * nats_to_bits, best ? " (best)" : "");
  message(text);
}

void RunLog::message(const std::string& text) {
  if (quiet_) return;
  if (line_open_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  line_open_ = false;
  if (terminal_ && last_.iteration > 0) show(last_);
  std::fflush(stderr);
}

void RunLog::finish() {
  if (line_open_) std::fprintf(stderr, "\n");
  line_open_ = false;
}

}  // namespace charloom::train
