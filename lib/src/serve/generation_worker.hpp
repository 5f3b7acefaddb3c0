// One language model's inference thread: jobs wait in a bounded queue, join the batch when
// it has room, and every step advances all their streams together.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "charloom/language_model.hpp"
#include "serve/generation_job.hpp"
#include "serve/metrics.hpp"

namespace charloom::serve {

class GenerationWorker {
 public:
  GenerationWorker(LanguageModel& model, int max_streams, int max_queue, GenerationCounters& counters);
  ~GenerationWorker();  // shuts down

  // Queues a job (at most max_streams choices); false when the queue is full.
  bool submit(std::shared_ptr<GenerationJob> job);
  // Ends every stream in progress and every queued job as cancelled, then stops the thread.
  void shutdown();

 private:
  struct Owner {
    std::shared_ptr<GenerationJob> job;
    int choice;
  };
  void run();
  void admit(std::deque<std::shared_ptr<GenerationJob>>& joining);
  void step();

  LanguageModel& model_;
  const int max_streams_, max_queue_;
  GenerationCounters& counters_;
  StreamBatch batch_;
  std::map<std::uint64_t, Owner> owners_;  // the worker thread's own
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<GenerationJob>> queue_;
  int reserved_ = 0;  // streams of admitted jobs not yet finished
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace charloom::serve
