// The bucketed, overlapped gradient allreduce of data-parallel training.
#include "dist/gradient_reducer.hpp"

#include <chrono>

#include "charloom/errors.hpp"

namespace charloom::dist {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

}  // namespace

GradientReducer::GradientReducer(Communicator& world, bool overlap) : world_(world) {
  // Without overlap there is no thread, and finish() reduces the whole buffer in one call.
  if (overlap && world_.distributed()) thread_ = std::thread([this] { work(); });
}

GradientReducer::~GradientReducer() {
  if (thread_.joinable()) {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
}

void GradientReducer::begin(float* buffer, std::size_t total) {
  std::lock_guard lock(mutex_);
  buffer_ = buffer;
  total_ = total;
  reduced_ = 0;
}

void GradientReducer::ready(std::size_t offset, std::size_t count) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    pending_.emplace_back(offset, count);
    ++in_flight_;
  }
  changed_.notify_all();
}

void GradientReducer::work() {
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    const auto [offset, count] = pending_.front();
    pending_.pop_front();
    float* values = buffer_ + offset;
    lock.unlock();
    const auto started = Clock::now();
    world_.sum_sleeping(values, count);
    const double seconds = seconds_since(started);
    lock.lock();
    communication_seconds_ += seconds;
    reduced_ += count;
    --in_flight_;
    changed_.notify_all();
  }
}

void GradientReducer::finish() {
  if (!world_.distributed()) return;
  const auto started = Clock::now();
  if (thread_.joinable()) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return in_flight_ == 0; });
  }
  waiting_seconds_ += seconds_since(started);
  // Whatever backward did not hand over (everything, without overlap) goes now, in one call.
  if (reduced_ != total_) {
    if (reduced_ != 0) throw Error("gradient ranges were handed over that do not cover the buffer");
    const auto reducing = Clock::now();
    world_.sum(buffer_, total_);
    const double seconds = seconds_since(reducing);
    communication_seconds_ += seconds;
    waiting_seconds_ += seconds;
    reduced_ = total_;
  }
  const float scale = 1.0f / static_cast<float>(world_.size());
  for (std::size_t i = 0; i < total_; ++i) buffer_[i] *= scale;
}

}  // namespace charloom::dist
