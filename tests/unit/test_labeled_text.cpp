// Labeled-text readers: every format, every label spelling, and errors that name the line.
#include <doctest/doctest.h>

#include "charloom/errors.hpp"
#include "charloom/labeled_text.hpp"
#include "data/csv_reader.hpp"
#include "skip.hpp"
#include "test_helpers.hpp"

using namespace charloom;

namespace {
std::vector<LabeledText> parse(std::string_view content, LabeledFormat format,
                               ColumnOrder columns = ColumnOrder::label_text) {
  LabeledReaderOptions options;
  options.format = format;
  options.columns = columns;
  return parse_labeled_text(content, "data", options);
}
}  // namespace

TEST_CASE("every label spelling maps to 0 or 1") {
  for (auto text : {"0", "-1", "neg", "negative", "NEG", "Negative"}) CHECK(parse_label(text) == 0);
  for (auto text : {"1", "pos", "positive", "POSITIVE"}) CHECK(parse_label(text) == 1);
  for (auto text : {"", "2", "yes", "+1", " 1"}) CHECK_FALSE(parse_label(text).has_value());
}

TEST_CASE("TSV with the label first (SST) or the text first") {
  auto records = parse("1\ta fine film .\n\n0\tdull\tand long\r\n", LabeledFormat::tsv);
  REQUIRE(records.size() == 2);
  CHECK(records[0].text == "a fine film .");
  CHECK(records[0].label == 1);
  CHECK(records[0].line == 1);
  CHECK(records[1].text == "dull\tand long");  // tabs inside the text survive
  CHECK(records[1].label == 0);
  CHECK(records[1].line == 3);
  auto flipped = parse("great\tpos\nawful\tnegative\n", LabeledFormat::tsv, ColumnOrder::text_label);
  REQUIRE(flipped.size() == 2);
  CHECK(flipped[0].text == "great");
  CHECK(flipped[1].label == 0);
}

TEST_CASE("CSV with quoted commas, doubled quotes and newlines") {
  const std::string content =
      "1,plain text\n"
      "-1,\"with, a comma\"\n"
      "\"pos\",\"she said \"\"wow\"\"\"\r\n"
      "0,\"two\nlines\"\n"
      "1,last\n";
  auto records = parse(content, LabeledFormat::csv);
  REQUIRE(records.size() == 5);
  CHECK(records[1].text == "with, a comma");
  CHECK(records[1].label == 0);
  CHECK(records[2].text == "she said \"wow\"");
  CHECK(records[2].label == 1);
  CHECK(records[3].text == "two\nlines");
  CHECK(records[3].line == 4);
  CHECK(records[4].line == 6);  // the line count includes the newline inside the quotes
}

TEST_CASE("a byte order mark before the first record is ignored") {
  auto records = parse("\xEF\xBB\xBF\"1\",\"good\"\n-1,\"bad\"\n", LabeledFormat::csv);
  REQUIRE(records.size() == 2);
  CHECK(records[0].label == 1);
  CHECK(records[1].label == 0);
}

TEST_CASE("JSONL with text and label fields of any accepted type") {
  auto records = parse(
      "{\"text\": \"good\", \"label\": 1}\n"
      "{\"label\": \"negative\", \"text\": \"bad\", \"id\": 7}\n"
      "{\"text\": \"meh\", \"label\": -1}\n",
      LabeledFormat::jsonl);
  REQUIRE(records.size() == 3);
  CHECK(records[0].label == 1);
  CHECK(records[1].text == "bad");
  CHECK(records[1].label == 0);
  CHECK(records[2].label == 0);
}

TEST_CASE("malformed records are errors naming their line") {
  CHECK_THROWS_WITH_AS(parse("1\tok\n2\tbad label\n", LabeledFormat::tsv),
                       "data:2: unknown label '2'; use 0/1, -1/1, neg/pos or negative/positive", InputError);
  CHECK_THROWS_WITH_AS(parse("1\tok\nno tab here\n", LabeledFormat::tsv),
                       doctest::Contains("data:2: no tab between label and text"), InputError);
  CHECK_THROWS_WITH_AS(parse("1,ok\n1,\"never closed\nstill open\n", LabeledFormat::csv),
                       doctest::Contains("data:2: quoted field is never closed"), InputError);
  CHECK_THROWS_WITH_AS(parse("1,ok\n1,a,b\n", LabeledFormat::csv),
                       doctest::Contains("data:2: expected 2 fields, found 3"), InputError);
  CHECK_THROWS_WITH_AS(parse("1,\"ok\"x\n", LabeledFormat::csv),
                       doctest::Contains("data:1: text after a closing quote"), InputError);
  CHECK_THROWS_WITH_AS(parse("{\"text\": \"a\", \"label\": 1}\n{\"text\": \"b\"}\n", LabeledFormat::jsonl),
                       "data:2: missing label; use 0/1, -1/1, neg/pos or negative/positive", InputError);
  CHECK_THROWS_WITH_AS(parse("{\"text\": \"a\", \"label\": 1\n", LabeledFormat::jsonl),
                       doctest::Contains("data:1: not valid JSON"), InputError);
  CHECK_THROWS_WITH_AS(parse("[1, 2]\n", LabeledFormat::jsonl), doctest::Contains("data:1: not a JSON object"),
                       InputError);
  CHECK_THROWS_WITH_AS(parse("{\"label\": 1}\n", LabeledFormat::jsonl),
                       doctest::Contains("data:1: no string field \"text\""), InputError);
  CHECK_THROWS_WITH_AS(parse("{\"text\": \"a\", \"label\": true}\n", LabeledFormat::jsonl),
                       doctest::Contains("data:1: unknown label 'true'"), InputError);
}

TEST_CASE("soft labels: probabilities from 0 to 1, only when the reader takes them") {
  for (auto text : {"0", "1", "0.5", "0.83", "1.0", "0.000", "1e-3"}) CHECK(parse_soft_label(text).has_value());
  CHECK(*parse_soft_label("0.83") == doctest::Approx(0.83));
  for (auto text : {"", "-0.1", "1.5", "nan", "inf", "0.5x", " 0.5", "pos"})
    CHECK_FALSE(parse_soft_label(text).has_value());

  LabeledReaderOptions options;
  options.soft_labels = true;
  auto records = parse_labeled_text("0.83\tfine\n0.2\tdull\n0.5\teven\n1\tgreat\n", "data", options);
  REQUIRE(records.size() == 4);
  CHECK(records[0].label == 1);
  CHECK(*records[0].soft_label == doctest::Approx(0.83));
  CHECK(records[1].label == 0);
  CHECK(records[2].label == 1);  // 0.5 is positive, as a score at the threshold is
  CHECK(records[3].label == 1);
  CHECK_FALSE(records[3].soft_label.has_value());  // a hard label stays one
  options.format = LabeledFormat::jsonl;
  auto json = parse_labeled_text("{\"text\": \"a\", \"label\": 0.25}\n", "data", options);
  REQUIRE(json.size() == 1);
  CHECK(*json[0].soft_label == doctest::Approx(0.25));
  options.format = LabeledFormat::tsv;
  CHECK_THROWS_WITH_AS(parse_labeled_text("1.5\tfine\n", "data", options),
                       doctest::Contains("data:1: unknown label '1.5'"), InputError);
  // Without them, a probability is an error that says how to take it.
  CHECK_THROWS_WITH_AS(parse("1\tok\n0.83\tfine\n", LabeledFormat::tsv),
                       "data:2: unknown label '0.83'; use 0/1, -1/1, neg/pos or negative/positive (a probability is "
                       "a soft label, which training takes with --soft-labels)",
                       InputError);
}

TEST_CASE("unlabeled input is accepted when labels are optional") {
  LabeledReaderOptions options;
  options.require_label = false;
  auto records = parse_labeled_text("just text\n", "data", options);
  REQUIRE(records.size() == 1);
  CHECK(records[0].text == "just text");
  CHECK_FALSE(records[0].label.has_value());
}

TEST_CASE("the real SST-2 files read completely") {
  const std::string from_build = std::string(CHARLOOM_SHARED_DATA_DIR) + "/sentiment/sst2-dev.tsv";
  std::FILE* probe = std::fopen(from_build.c_str(), "rb");
  if (probe == nullptr) CHARLOOM_SKIP(from_build + " is absent (../shared/data is not beside the checkout)");
  std::fclose(probe);
  auto records = read_labeled_text(from_build, LabeledReaderOptions{});
  CHECK(records.size() == 872);
  std::size_t positives = 0;
  for (const auto& record : records) positives += static_cast<std::size_t>(*record.label);
  CHECK(positives == 444);  // SST-2 dev: 444 positive, 428 negative
}

TEST_CASE("option names for formats and columns") {
  CHECK(labeled_format_of("reviews.csv") == LabeledFormat::csv);
  CHECK(labeled_format_of("dir.v2/reviews.jsonl") == LabeledFormat::jsonl);
  CHECK(labeled_format_of("reviews.json") == LabeledFormat::jsonl);
  CHECK(labeled_format_of("sst2-dev.tsv") == LabeledFormat::tsv);
  CHECK(labeled_format_of("-") == LabeledFormat::tsv);
  CHECK(parse_labeled_format("jsonl") == LabeledFormat::jsonl);
  CHECK(parse_column_order("text,label") == ColumnOrder::text_label);
  CHECK_THROWS_AS(parse_labeled_format("xml"), UsageError);
  CHECK_THROWS_AS(parse_column_order("label"), UsageError);
}

TEST_CASE("--header: auto skips a first line that names the columns, yes always, no never") {
  LabeledReaderOptions options;
  const std::string glue = "sentence\tlabel\nit 's a charming journey .\t1\nflat\t0\n";
  options.columns = ColumnOrder::text_label;
  const auto records = parse_labeled_text(glue, "glue.tsv", options);
  REQUIRE(records.size() == 2);
  CHECK(records[0].line == 2);
  CHECK(records[0].label == 1);
  options.header = HeaderPolicy::no;
  CHECK_THROWS_WITH_AS(parse_labeled_text(glue, "glue.tsv", options),
                       doctest::Contains("glue.tsv:1: unknown label 'label'"), InputError);
  // A mistyped label on the first line is an error under auto, not a header.
  options.header = HeaderPolicy::automatic;
  CHECK_THROWS_WITH_AS(parse_labeled_text("fine\t2\n", "data", options), doctest::Contains("data:1: unknown label '2'"),
                       InputError);
  // yes skips the first line even when it reads as a record.
  options.header = HeaderPolicy::yes;
  CHECK(parse_labeled_text("good\t1\nbad\t0\n", "data", options).size() == 1);
  // CSV too.
  options.header = HeaderPolicy::automatic;
  options.format = LabeledFormat::csv;
  options.columns = ColumnOrder::label_text;
  CHECK(parse_labeled_text("label,text\n1,\"fine, really\"\n", "data.csv", options).size() == 1);
  CHECK_THROWS_AS(parse_header_policy("maybe"), UsageError);
}

TEST_CASE("streamed from a file, every format reads as it does whole") {
  const std::vector<std::pair<LabeledFormat, std::string>> inputs{
      {LabeledFormat::tsv,
       "\xEF\xBB\xBF"
       "1\tgood one\r\n\n0\tbad\tone\npos\tlast"},
      {LabeledFormat::csv, "1,\"a \"\"quoted\"\"\nline, and more\"\r\n0,plain\r\n1,\"end\""},
      {LabeledFormat::jsonl, "{\"text\": \"é\", \"label\": 1}\n\n{\"text\": \"x\", \"label\": \"neg\"}\n"},
  };
  for (const auto& input : inputs) {
    const LabeledFormat format = input.first;
    const std::string& content = input.second;
    CAPTURE(content);
    LabeledReaderOptions options;
    options.format = format;
    options.header = HeaderPolicy::no;
    const std::vector<LabeledText> whole = parse_labeled_text(content, "data", options);
    REQUIRE(whole.size() >= 2);
    testing::TempFile file(content);
    std::vector<LabeledText> streamed;
    for_each_labeled_text(file.path(), options, [&](LabeledText&& record) { streamed.push_back(std::move(record)); });
    REQUIRE(streamed.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
      CHECK(streamed[i].text == whole[i].text);
      CHECK(streamed[i].label == whole[i].label);
      CHECK(streamed[i].line == whole[i].line);
    }
  }
}

TEST_CASE("the CSV parser fed one byte at a time gives the records it gives whole") {
  const std::string content = "1,\"a \"\"quoted\"\"\r\nline\"\r\n0,plain\r\r\n\"x\",\"\"\n2,\"\"\"\"";
  const std::vector<data::CsvRecord> whole = data::parse_csv(content, "data");
  std::vector<data::CsvRecord> bytes;
  data::CsvParser parser("data", [&](data::CsvRecord&& record) { bytes.push_back(std::move(record)); });
  for (char c : content) parser.feed(std::string_view(&c, 1));
  parser.finish();
  REQUIRE(whole.size() == 4);
  CHECK(whole[0].fields == std::vector<std::string>{"1", "a \"quoted\"\r\nline"});
  CHECK(whole[3].fields == std::vector<std::string>{"2", "\""});
  CHECK(whole[2].line == 5);  // CR, then CR LF: two line ends
  REQUIRE(bytes.size() == whole.size());
  for (std::size_t i = 0; i < whole.size(); ++i) {
    CHECK(bytes[i].fields == whole[i].fields);
    CHECK(bytes[i].line == whole[i].line);
  }
}
