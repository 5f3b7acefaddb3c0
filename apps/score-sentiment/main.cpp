// score-sentiment: P(positive) for every text of the input with a sentiment classifier, as
// JSONL or TSV; --eval prints metrics against labels; --trace colours every character.
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>

#include "charloom/errors.hpp"
#include "charloom/labeled_text.hpp"
#include "charloom/output_file.hpp"
#include "charloom/sentiment.hpp"
#include "common/cli.hpp"
#include "score-sentiment/trace_page.hpp"

namespace {

using namespace charloom;
namespace po = cli::po;
using json = nlohmann::ordered_json;

struct InputText {
  std::string file;
  std::size_t line = 0;
  std::string text;
  std::optional<int> label;  // the input's own label, if it has one
  std::string raw;           // JSONL: the whole input object, as read
};

struct Settings {
  std::string model_name;  // the model as given: a name or a path, shown on the trace page
  std::string format = "jsonl", eval_path, trace_path, trace_format = "html";
  int batch_size = 128;
  double threshold = 0.5;
};

// Scores the inputs a group at a time, as they are read, and prints each group at once, so
// that an input of any size streams through in little memory. --eval keeps only the scores
// and labels; --trace keeps every text's trace for the page written at the end.
class Scorer {
 public:
  Scorer(SentimentModel& model, const Settings& settings) : model_(model), settings_(settings) {}

  void add(InputText&& input) {
    if (input.text.find_first_not_of(" \t\r") == std::string::npos)
      throw InputError(input.file + ":" + std::to_string(input.line) +
                       ": the text is empty; remove the line or give it text");
    pending_.push_back(std::move(input));
    // Many batches per group, so that texts of similar length still batch together.
    if (pending_.size() >= 32 * static_cast<std::size_t>(settings_.batch_size)) flush();
  }

  void finish() {
    flush();
    if (!settings_.trace_path.empty())
      write_output_file(settings_.trace_path, settings_.trace_format == "html"
                                                  ? trace_html(traces_, settings_.model_name)
                                                  : trace_jsonl(traces_));
    if (!settings_.eval_path.empty()) print_metrics();
  }

 private:
  void flush() {
    std::vector<std::vector<std::uint32_t>> ids;
    for (const InputText& input : pending_)
      ids.push_back(model_.encode(input.text, input.file + ":" + std::to_string(input.line)));
    const auto start = std::chrono::steady_clock::now();
    const std::vector<double> scores = model_.score(ids, settings_.batch_size);
    scoring_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (std::size_t i = 0; i < pending_.size(); ++i) {
      if (!settings_.trace_path.empty()) keep_trace(pending_[i], ids[i]);
      if (settings_.eval_path.empty()) {
        print(pending_[i], scores[i]);
      } else {
        scores_.push_back(scores[i]);
        labels_.push_back(*pending_[i].label);
      }
    }
    pending_.clear();
  }

  void keep_trace(const InputText& input, const std::vector<std::uint32_t>& ids) {
    TracedText traced{input.line, split_units(input.text, model_.config().text), model_.trace(ids)};
    traced.units.resize(traced.scores.size());  // units past the model's length limit are not traced
    traces_.push_back(std::move(traced));
  }

  void print(const InputText& input, double score) const {
    const std::string label = score >= settings_.threshold ? "positive" : "negative";
    if (settings_.format == "tsv") {
      cli::print_stdout("%.6f\t%s\t%s\n", score, label.c_str(), input.text.c_str());
      return;
    }
    json record = input.raw.empty() ? json{{"text", input.text}} : json::parse(input.raw);
    // The input's own label stays, renamed, so that "label" is always the prediction.
    if (record.contains("label")) {
      record["input_label"] = record["label"];
      record.erase("label");
    } else if (input.label) {
      record["input_label"] = *input.label;
    }
    if (input.raw.empty()) record["line"] = input.line;
    record["score"] = score;
    record["label"] = label;
    cli::write_stdout(cli::json_text(record) + "\n");
  }

  void print_metrics() const {
    const BinaryMetrics m = binary_metrics(scores_, labels_, settings_.threshold);
    const json out{
        {"file", settings_.eval_path},
        {"texts", scores_.size()},
        {"threshold", settings_.threshold},
        {"accuracy", m.accuracy},
        {"precision", m.precision},
        {"recall", m.recall},
        {"f1", m.f1},
        {"roc_auc", m.roc_auc},
        {"log_loss", m.log_loss},
        {"confusion_matrix",
         {{"true_positive", m.true_positive},
          {"false_positive", m.false_positive},
          {"true_negative", m.true_negative},
          {"false_negative", m.false_negative}}},
        // Scoring alone, without reading and encoding the texts; a figure, never a test's.
        {"seconds", scoring_seconds_},
        {"texts_per_second", scoring_seconds_ > 0 ? static_cast<double>(scores_.size()) / scoring_seconds_ : 0.0}};
    cli::write_stdout(cli::json_text(out, 2) + "\n");
  }

  SentimentModel& model_;
  const Settings& settings_;
  std::vector<InputText> pending_;
  std::vector<double> scores_;
  std::vector<int> labels_;
  double scoring_seconds_ = 0.0;
  std::vector<TracedText> traces_;
};

}  // namespace

int main(int argc, char** argv) {
  return cli::run("score-sentiment", [&] {
    Settings settings;
    std::string input_format = "lines", columns = "label,text", header = "auto";
    std::string text_field = "text", label_field = "label";
    std::vector<std::string> files;
    cli::ComputeFlags compute;
    cli::ModelFlags model_flags;
    po::options_description flags("score-sentiment options");
    // clang-format off
    flags.add_options()
        ("input", po::value(&files)->multitoken(), "text file(s); none or - reads stdin")
        ("input-format", po::value(&input_format)->default_value(input_format),
         "lines (one text per line), tsv, csv or jsonl")
        ("columns", po::value(&columns)->default_value(columns), "tsv/csv: label,text or text,label; a label column may be missing")
        ("header", po::value(&header)->default_value(header),
         "tsv/csv: does the first line name the columns? auto (when its label field is no label), yes or no")
        ("text-field", po::value(&text_field)->default_value(text_field), "jsonl: the field holding the text")
        ("label-field", po::value(&label_field)->default_value(label_field), "jsonl with --eval: the field holding the label")
        ("format", po::value(&settings.format)->default_value(settings.format), "jsonl (score, label and the input's fields) or tsv")
        ("threshold", po::value(&settings.threshold)->default_value(settings.threshold), "scores at or above it are labeled positive")
        ("eval", po::value(&settings.eval_path), "score a labeled file and print accuracy, precision, recall, F1, ROC AUC and the confusion matrix as JSON")
        ("trace", po::value(&settings.trace_path), "write each text with every character coloured by the running score")
        ("trace-format", po::value(&settings.trace_format)->default_value(settings.trace_format), "html or jsonl")
        // 128 texts per batch score 1.6x faster than 64 for the default model (bench-sentiment).
        ("batch-size", po::value(&settings.batch_size)->default_value(settings.batch_size), "texts scored together")
        ("help,h", "show this help");
    // clang-format on
    compute.add_to(flags);
    model_flags.add_to(flags, "sst2");
    po::positional_options_description positional;
    positional.add("input", -1);
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values, "score-sentiment [--model NAME|FILE] [FILE...]")) return 0;
    if (model_flags.list_if_asked()) return 0;
    if (settings.format != "jsonl" && settings.format != "tsv")
      throw UsageError("--format must be jsonl or tsv, got '" + settings.format + "'");
    if (settings.trace_format != "html" && settings.trace_format != "jsonl")
      throw UsageError("--trace-format must be html or jsonl");
    if (!(settings.threshold >= 0.0 && settings.threshold <= 1.0)) throw UsageError("--threshold must be in [0, 1]");
    cli::checked_range("batch-size", settings.batch_size, 1, 65536);
    LabeledReaderOptions reader;
    reader.format = parse_labeled_format(input_format);
    reader.columns = parse_column_order(columns);
    reader.header = parse_header_policy(header);
    reader.text_field = text_field;
    reader.label_field = label_field;
    const Precision precision = compute.apply("score-sentiment");
    settings.model_name = model_flags.model;
    SentimentModel model = SentimentModel::load(model_flags.path(), precision);
    Scorer scorer(model, settings);
    const auto read = [&](const std::string& file) {
      for_each_labeled_text(file, reader, [&](LabeledText&& record) {
        scorer.add({file, record.line, std::move(record.text), record.label, std::move(record.raw)});
      });
    };
    if (!settings.eval_path.empty()) {
      if (input_format == "lines") reader.format = labeled_format_of(settings.eval_path);
      reader.require_label = true;
      read(settings.eval_path);
    } else {
      // Without --eval an input's label is only carried along, whatever its spelling.
      reader.require_label = false;
      if (reader.format == LabeledFormat::jsonl) reader.label_field.clear();
      if (files.empty()) files.push_back("-");
      for (const std::string& file : files) read(file);
    }
    scorer.finish();
    return 0;
  });
}
