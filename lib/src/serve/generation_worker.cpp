// The worker loop: admit queued jobs while the batch has room, cancel what clients left,
// step, and hand every stream's output to its job.
#include "serve/generation_worker.hpp"

#include "charloom/errors.hpp"

namespace charloom::serve {

GenerationWorker::GenerationWorker(LanguageModel& model, int max_streams, int max_queue, GenerationCounters& counters)
    : model_(model), max_streams_(max_streams), max_queue_(max_queue), counters_(counters), batch_(model) {
  batch_.prepare(max_streams);
  thread_ = std::thread([this] { run(); });
}

GenerationWorker::~GenerationWorker() { shutdown(); }

bool GenerationWorker::submit(std::shared_ptr<GenerationJob> job) {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ || static_cast<int>(queue_.size()) >= max_queue_) {
      ++counters_.rejected;
      return false;
    }
    queue_.push_back(std::move(job));
    ++counters_.queued;
  }
  wake_.notify_all();
  return true;
}

void GenerationWorker::shutdown() {
  {
    const std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GenerationWorker::run() {
  for (;;) {
    std::deque<std::shared_ptr<GenerationJob>> joining;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty() || !owners_.empty(); });
      if (stopping_) break;
      // First come, first served: a job that does not fit yet holds back those behind it.
      while (!queue_.empty() && reserved_ + static_cast<int>(queue_.front()->choices().size()) <= max_streams_) {
        reserved_ += static_cast<int>(queue_.front()->choices().size());
        joining.push_back(std::move(queue_.front()));
        queue_.pop_front();
        --counters_.queued;
      }
    }
    admit(joining);
    step();
  }
  // Shutting down: streams in progress end as cancelled, and so do the jobs still queued.
  for (const auto& [id, owner] : owners_) batch_.cancel(id);
  step();
  const std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& job : queue_) job->cancel_unstarted();
  counters_.queued = 0;
  queue_.clear();
}

void GenerationWorker::admit(std::deque<std::shared_ptr<GenerationJob>>& joining) {
  for (const auto& job : joining) {
    const auto& choices = job->choices();
    for (int choice = 0; choice < static_cast<int>(choices.size()); ++choice) {
      try {
        if (job->abandoned()) throw Error("the client went away");
        const std::uint64_t id = batch_.add(choices[choice].prime, choices[choice].settings);
        owners_[id] = {job, choice};
      } catch (const std::exception& error) {
        StreamEvent event{choice, {}, {}, true, {}, error.what()};
        event.end.reason = StopReason::cancelled;
        job->push(std::move(event));
        const std::lock_guard<std::mutex> lock(mutex_);
        --reserved_;
      }
    }
  }
}

void GenerationWorker::step() {
  std::size_t cancelled = 0;
  for (const auto& [id, owner] : owners_)
    if (owner.job->abandoned()) {
      batch_.cancel(id);
      ++cancelled;
    }
  if (owners_.empty()) return;
  const std::size_t stepped = batch_.size() - cancelled;
  const std::vector<StreamOutput>& outputs = batch_.step();
  if (stepped > 0) {
    ++counters_.steps;
    counters_.stream_steps += stepped;
  }
  int ended = 0;
  for (const StreamOutput& out : outputs) {
    const auto found = owners_.find(out.id);
    const bool drew = !(out.finished && out.end.reason == StopReason::cancelled);
    if (drew) ++counters_.units;
    found->second.job->push({found->second.choice, out.text, out.units, out.finished, out.end, {}});
    if (!out.finished) continue;
    owners_.erase(found);
    ++ended;
  }
  counters_.active = batch_.size();
  if (ended == 0) return;
  const std::lock_guard<std::mutex> lock(mutex_);
  reserved_ -= ended;
}

}  // namespace charloom::serve
