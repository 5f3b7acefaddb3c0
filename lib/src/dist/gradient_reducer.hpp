// Sums gradients across ranks in buckets, on a thread of its own, while backward still runs.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "dist/communicator.hpp"

namespace charloom::dist {

// Backward finishes the gradients of the head first and of the embedding last. As each
// tensor group is final, backward hands its range over with ready(); this object's thread
// starts its allreduce at once, so communication overlaps the layers still computing, as
// Horovod and PyTorch DDP do with buckets. Every rank hands over the same ranges in the same
// order, which is what lets the collectives match.
class GradientReducer {
 public:
  // `overlap` false reduces everything in finish(), after backward: the reference to measure
  // the overlap against.
  GradientReducer(Communicator& world, bool overlap);
  ~GradientReducer();
  GradientReducer(const GradientReducer&) = delete;
  GradientReducer& operator=(const GradientReducer&) = delete;

  // Starts a step over `buffer` of `total` floats.
  void begin(float* buffer, std::size_t total);
  // Floats [offset, offset + count) of the buffer are final on this rank.
  void ready(std::size_t offset, std::size_t count);
  // Waits until every range is summed over ranks, then divides by the number of ranks, so the
  // buffer holds the mean gradient: that of the global batch, as each rank's share is equal.
  // Ranges never handed over are reduced here.
  void finish();

  // Seconds spent in allreduce, and seconds finish() waited for it (the communication that
  // backward did not hide), summed over steps.
  double communication_seconds() const { return communication_seconds_; }
  double waiting_seconds() const { return waiting_seconds_; }

 private:
  void work();

  Communicator& world_;
  float* buffer_ = nullptr;
  std::size_t total_ = 0, reduced_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::pair<std::size_t, std::size_t>> pending_;
  std::size_t in_flight_ = 0;
  bool stopping_ = false;
  double communication_seconds_ = 0.0, waiting_seconds_ = 0.0;
  std::thread thread_;
};

}  // namespace charloom::dist
