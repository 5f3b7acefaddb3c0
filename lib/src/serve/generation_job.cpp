// The hand-over of one request's events between the worker and the HTTP thread.
#include "serve/generation_job.hpp"

namespace charloom::serve {

std::vector<StreamEvent> GenerationJob::take(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  ready_.wait_for(lock, timeout, [&] { return !events_.empty() || open_ == 0; });
  std::vector<StreamEvent> taken(std::make_move_iterator(events_.begin()), std::make_move_iterator(events_.end()));
  events_.clear();
  return taken;
}

bool GenerationJob::finished() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return open_ == 0 && events_.empty();
}

void GenerationJob::push(StreamEvent event) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (event.finished) --open_;
    events_.push_back(std::move(event));
  }
  ready_.notify_all();
}

void GenerationJob::cancel_unstarted() {
  for (int choice = 0; choice < static_cast<int>(choices_.size()); ++choice) {
    StreamEvent event;
    event.choice = choice;
    event.finished = true;
    event.end.reason = StopReason::cancelled;
    push(std::move(event));
  }
}

}  // namespace charloom::serve
