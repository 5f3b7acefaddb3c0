// One completion request's streams and the text they produce, handed from the model's worker
// thread to the HTTP thread that answers the request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "charloom/stream_batch.hpp"

namespace charloom::serve {

struct StreamEvent {
  int choice = 0;  // which of the request's streams
  std::string text;
  std::vector<UnitLogprob> units;
  bool finished = false;
  SampleEnd end;
  std::string error;  // set when the stream could not run (finished too)
};

class GenerationJob {
 public:
  struct Choice {
    std::vector<std::uint32_t> prime;
    StreamSettings settings;
  };
  explicit GenerationJob(std::vector<Choice> choices)
      : choices_(std::move(choices)), open_(static_cast<int>(choices_.size())) {}

  const std::vector<Choice>& choices() const { return choices_; }

  // The HTTP side. Waits up to `timeout` for events and takes them all.
  std::vector<StreamEvent> take(std::chrono::milliseconds timeout);
  bool finished() const;  // every choice has ended and every event has been taken
  // The client has gone: the worker cancels the streams at its next step.
  void abandon() { abandoned_ = true; }
  bool abandoned() const { return abandoned_; }

  // The worker side.
  void push(StreamEvent event);
  void cancel_unstarted();  // ends every choice as cancelled, before any stream began

 private:
  std::vector<Choice> choices_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<StreamEvent> events_;
  int open_;
  std::atomic<bool> abandoned_{false};
};

}  // namespace charloom::serve
