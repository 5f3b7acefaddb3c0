// The truncated-BPTT batcher: contiguous streams so hidden state carries across batches.
#include "charloom/batcher.hpp"

#include <string>

#include "charloom/errors.hpp"

namespace charloom {

Batcher::Batcher(const TokenIds& ids, std::size_t begin, std::size_t end, std::size_t streams, std::size_t steps,
                 StreamShare share)
    : ids_(ids), begin_(begin), streams_(streams), steps_(steps), share_(share) {
  if (streams == 0 || steps == 0) throw UsageError("--batch-size and --seq-length must be at least 1");
  if (share_.count == 0) share_ = StreamShare{0, streams};
  if (share_.first + share_.count > streams) throw UsageError("a stream share lies outside the batch");
  if (end > ids.size() || begin > end) throw UsageError("batcher range lies outside the corpus");
  const std::size_t available = end - begin;
  // Each stream needs its T inputs plus one more unit for the last target.
  if (available < streams * steps + 1)
    throw UsageError("the training text has " + std::to_string(available) + " units but --batch-size " +
                     std::to_string(streams) + " x --seq-length " + std::to_string(steps) + " needs at least " +
                     std::to_string(streams * steps + 1) +
                     "; use a longer corpus or lower --batch-size or --seq-length");
  stream_length_ = (available - 1) / streams;
  batches_per_epoch_ = stream_length_ / steps;
}

void Batcher::seek(const DataCursor& cursor) {
  if (cursor.batch >= batches_per_epoch_)
    throw UsageError("data position " + std::to_string(cursor.batch) + " is beyond the " +
                     std::to_string(batches_per_epoch_) +
                     " batches of an epoch; resume with the same corpus, --batch-size and --seq-length");
  cursor_ = cursor;
}

void Batcher::next(Batch& batch) {
  const std::size_t width = share_.count;
  batch.steps = steps_;
  batch.streams = width;
  batch.inputs.resize(steps_ * width);
  batch.targets.resize(steps_ * width);
  batch.cursor = cursor_;
  batch.starts_epoch = cursor_.batch == 0;
  const std::size_t offset = static_cast<std::size_t>(cursor_.batch) * steps_;
  for (std::size_t b = 0; b < width; ++b) {
    const std::size_t stream_start = begin_ + (share_.first + b) * stream_length_ + offset;
    for (std::size_t t = 0; t < steps_; ++t) {
      batch.inputs[t * width + b] = ids_[stream_start + t];
      batch.targets[t * width + b] = ids_[stream_start + t + 1];
    }
  }
  if (++cursor_.batch == batches_per_epoch_) {
    cursor_.batch = 0;
    ++cursor_.epoch;
  }
}

}  // namespace charloom
