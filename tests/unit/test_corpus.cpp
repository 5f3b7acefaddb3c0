// Corpus loading and splitting: streamed encoding, compact ids, nanoGPT's split boundaries.
#include <doctest/doctest.h>

#include "charloom/corpus.hpp"
#include "charloom/errors.hpp"
#include "test_helpers.hpp"

using namespace charloom;

TEST_CASE("the default split matches nanoGPT's on tinyshakespeare's length") {
  // nanoGPT: n = 1,115,394; train = data[:int(n*0.9)].
  CorpusSplit split = split_corpus(1'115'394, 0.1);
  CHECK(split.train_begin == 0);
  CHECK(split.train_end == 1'003'854);
  CHECK(split.val_begin == 1'003'854);
  CHECK(split.val_end == 1'115'394);
  CHECK(split_corpus(10, 0.0).train_end == 10);
  CHECK(split_corpus(10, 0.25).val_begin == 7);
  CHECK_THROWS_AS(split_corpus(10, 1.0), UsageError);
  CHECK_THROWS_AS(split_corpus(10, -0.1), UsageError);
}

TEST_CASE("a corpus of several files loads as their concatenation") {
  testing::TempFile first("hello ");
  testing::TempFile second("w\xC3\xB6rld\n");
  EncodedCorpus corpus = load_corpus({first.path(), second.path()}, TextOptions{});
  CHECK(corpus.ids.size() == 12);
  CHECK(corpus.bytes == 13);
  CHECK(corpus.ids.id_bytes() == 2);
  CHECK(corpus.vocabulary.decode(corpus.ids.slice(0, corpus.ids.size())) == "hello w\xC3\xB6rld\n");
}

TEST_CASE("the committed multilingual sample round-trips in every unit") {
  const std::string path = testing::sample_corpus("multilingual.txt");
  for (TextUnit unit : {TextUnit::codepoint, TextUnit::grapheme, TextUnit::byte}) {
    CAPTURE(to_string(unit));
    const TextOptions options = testing::with_unit(unit, Normalization::none);
    EncodedCorpus corpus = load_corpus({path}, options);
    std::string original;
    tokenize_file(path, options, [&](std::string_view u) { original.append(u); });
    CHECK(corpus.vocabulary.decode(corpus.ids.slice(0, corpus.ids.size())) == original);
  }
  // Graphemes are fewer than code points, which are fewer than bytes.
  const auto count = [&](TextUnit unit) { return load_corpus({path}, testing::with_unit(unit)).ids.size(); };
  CHECK(count(TextUnit::grapheme) < count(TextUnit::codepoint));
  CHECK(count(TextUnit::codepoint) < count(TextUnit::byte));
}

TEST_CASE("ids widen to 32 bits only when the vocabulary needs it") {
  TokenIds narrow(65'536);
  narrow.push_back(65'535);
  CHECK(narrow.id_bytes() == 2);
  CHECK(narrow[0] == 65'535);
  TokenIds wide(65'537);
  wide.push_back(65'536);
  CHECK(wide.id_bytes() == 4);
  CHECK(wide[0] == 65'536);
}

TEST_CASE("missing files, directories and bad sizes are clear errors") {
  CHECK_THROWS_WITH_AS(load_corpus({"/no/such/corpus.txt"}, TextOptions{}),
                       "cannot open /no/such/corpus.txt: No such file or directory; check the path", IoError);
  CHECK_THROWS_WITH_AS(load_corpus({"/tmp"}, TextOptions{}), "/tmp is a directory; give the path of a file", IoError);
  CHECK_THROWS_AS(load_corpus({}, TextOptions{}), UsageError);
  testing::TempFile file("abc");
  CHECK_THROWS_AS(load_corpus({file.path()}, TextOptions{}, 0), UsageError);
}
