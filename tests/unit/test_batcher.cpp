// The BPTT batcher: streams continue across batches, targets shift by one, cursors resume.
#include <doctest/doctest.h>

#include "charloom/batcher.hpp"
#include "charloom/errors.hpp"

using namespace charloom;

namespace {
TokenIds counting_ids(std::size_t count) {
  TokenIds ids(1 << 17);  // wide, so ids can equal positions
  for (std::size_t i = 0; i < count; ++i) ids.push_back(static_cast<std::uint32_t>(i));
  return ids;
}
}  // namespace

TEST_CASE("each stream continues where it left off in the previous batch") {
  // Ids equal their positions, so every element says where it came from.
  TokenIds ids = counting_ids(1000);
  const std::size_t streams = 4, steps = 7;
  Batcher batcher(ids, 100, 900, streams, steps);
  CHECK(batcher.stream_length() == (800 - 1) / 4);  // 199
  CHECK(batcher.batches_per_epoch() == 199 / 7);    // 28
  Batch previous, batch;
  batcher.next(previous);
  CHECK(previous.starts_epoch);
  for (std::size_t b = 0; b < streams; ++b) CHECK(previous.inputs[b] == 100 + b * 199);
  for (std::size_t k = 1; k < batcher.batches_per_epoch(); ++k) {
    batcher.next(batch);
    CHECK_FALSE(batch.starts_epoch);
    for (std::size_t b = 0; b < streams; ++b) {
      // The first input of this batch follows the last input of the previous one.
      CHECK(batch.inputs[0 * streams + b] == previous.inputs[(steps - 1) * streams + b] + 1);
      for (std::size_t t = 0; t < steps; ++t) {
        const std::size_t at = t * streams + b;
        CHECK(batch.targets[at] == batch.inputs[at] + 1);
        CHECK(batch.inputs[at] < 900);
        CHECK(batch.targets[at] < 900);
        // Stream b never reads into stream b+1's span.
        CHECK(batch.inputs[at] < 100 + (b + 1) * 199);
      }
    }
    previous = batch;
  }
  // The epoch wraps to the start.
  batcher.next(batch);
  CHECK(batch.starts_epoch);
  CHECK(batch.cursor == DataCursor{1, 0});
  CHECK(batch.inputs[0] == 100);
}

TEST_CASE("seeking to a saved cursor reproduces the same batches") {
  TokenIds ids = counting_ids(500);
  Batcher straight(ids, 0, 500, 3, 5), resumed(ids, 0, 500, 3, 5);
  Batch batch, expected;
  for (int i = 0; i < 40; ++i) straight.next(batch);
  const DataCursor saved = straight.cursor();
  CHECK(saved.epoch == 1);
  resumed.seek(saved);
  for (int i = 0; i < 50; ++i) {
    straight.next(expected);
    resumed.next(batch);
    CHECK(batch.inputs == expected.inputs);
    CHECK(batch.targets == expected.targets);
    CHECK(batch.cursor == expected.cursor);
  }
  CHECK_THROWS_AS(resumed.seek(DataCursor{0, 1000}), UsageError);
}

TEST_CASE("text shorter than one batch is a usage error that says what is needed") {
  TokenIds ids = counting_ids(64);
  CHECK_THROWS_WITH_AS(Batcher(ids, 0, 64, 8, 8),
                       "the training text has 64 units but --batch-size 8 x --seq-length 8 needs at "
                       "least 65; use a longer corpus or lower --batch-size or --seq-length",
                       UsageError);
  CHECK_NOTHROW(Batcher(ids, 0, 64, 9, 7));
  CHECK_THROWS_AS(Batcher(ids, 0, 64, 0, 7), UsageError);
}

TEST_CASE("shares of the streams, side by side, are the whole batch") {
  TokenIds ids = counting_ids(1000);
  const std::size_t streams = 6, steps = 5;
  Batcher whole(ids, 0, 1000, streams, steps);
  Batcher first(ids, 0, 1000, streams, steps, StreamShare{0, 2}), rest(ids, 0, 1000, streams, steps, StreamShare{2, 4});
  CHECK(first.batches_per_epoch() == whole.batches_per_epoch());
  Batch all, a, b;
  for (int k = 0; k < 3; ++k) {
    whole.next(all);
    first.next(a);
    rest.next(b);
    CHECK(a.streams == 2);
    CHECK(b.streams == 4);
    for (std::size_t t = 0; t < steps; ++t)
      for (std::size_t s = 0; s < streams; ++s) {
        const std::uint32_t mine = s < 2 ? a.inputs[t * 2 + s] : b.inputs[t * 4 + (s - 2)];
        const std::uint32_t target = s < 2 ? a.targets[t * 2 + s] : b.targets[t * 4 + (s - 2)];
        CHECK(mine == all.inputs[t * streams + s]);
        CHECK(target == all.targets[t * streams + s]);
      }
  }
  CHECK_THROWS_AS(Batcher(ids, 0, 1000, streams, steps, StreamShare{4, 3}), UsageError);
}
