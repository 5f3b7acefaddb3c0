// The truncated-BPTT batcher: B parallel contiguous streams, T steps at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "charloom/corpus.hpp"

namespace charloom {

// Where the batcher is; saved in checkpoints so a resumed run reads the same next batch.
struct DataCursor {
  std::uint64_t epoch = 0;
  std::uint64_t batch = 0;  // batches already taken in this epoch
  bool operator==(const DataCursor&) const = default;
};

// One batch, time-major like oneDNN's tnc layout: element [t * streams + b].
struct Batch {
  std::size_t steps = 0, streams = 0;
  std::vector<std::uint32_t> inputs;
  std::vector<std::uint32_t> targets;  // inputs shifted by one unit
  bool starts_epoch = false;           // streams jumped back: hidden state must be reset
  DataCursor cursor;                   // where this batch was taken
};

// The streams one process of a data-parallel run takes: [first, first + count) of all B.
// count 0 means every stream.
struct StreamShare {
  std::size_t first = 0, count = 0;
};

// Splits ids [begin, end) into B equal contiguous streams. Batch k of an epoch covers steps
// [k*T, (k+1)*T) of every stream, so stream b of batch k+1 continues stream b of batch k and
// the hidden state can carry over. The tail that does not fill a whole batch is not used.
// With a share, batches hold only the share's streams, laid out exactly as in the full batch.
class Batcher {
 public:
  // Throws UsageError when the range cannot fill one batch (it needs B*T + 1 ids).
  Batcher(const TokenIds& ids, std::size_t begin, std::size_t end, std::size_t streams, std::size_t steps,
          StreamShare share = {});

  std::size_t batches_per_epoch() const { return batches_per_epoch_; }
  std::size_t stream_length() const { return stream_length_; }
  DataCursor cursor() const { return cursor_; }
  // Throws UsageError when the cursor lies outside this data (another corpus or batch shape).
  void seek(const DataCursor& cursor);
  // Fills `batch` (reusing its storage) and advances, wrapping into the next epoch.
  void next(Batch& batch);

 private:
  const TokenIds& ids_;
  std::size_t begin_, streams_, steps_;
  StreamShare share_;
  std::size_t stream_length_ = 0, batches_per_epoch_ = 0;
  DataCursor cursor_;
};

}  // namespace charloom
