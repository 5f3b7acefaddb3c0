// Scoring a text line by line, each line alone, a block of lines at a time.
#include "charloom/scoring.hpp"

namespace charloom {
namespace {

// Lines scored together: enough to fill many batches of similar lengths, few enough to keep
// memory small whatever the input's size.
constexpr std::size_t lines_per_block = 8192;

}  // namespace

LineScorer::LineScorer(LanguageModel& model, int batch, std::function<void(const LineScore&)> each)
    : model_(model), batch_(batch), each_(std::move(each)) {}

void LineScorer::score_file(const std::string& path) {
  file_ = path;
  first_line_ = 1;
  tokenize_file(path, model_.config().text, [&](std::string_view unit) { this->unit(unit); });
  if (!current_.empty()) end_line();  // a last line without a newline still counts
  flush();
}

void LineScorer::unit(std::string_view unit) {
  if (unit == "\n" || unit == "\r\n") return end_line();
  const auto id = model_.vocabulary().find(unit);
  if (!id) ++current_unknown_;
  current_.push_back(id.value_or(Vocabulary::unknown_id));
}

void LineScorer::end_line() {
  lines_.push_back(std::move(current_));
  unknown_.push_back(current_unknown_);
  current_.clear();
  current_unknown_ = 0;
  if (lines_.size() >= lines_per_block) flush();
}

void LineScorer::flush() {
  if (lines_.empty()) return;
  const std::vector<TextScore> scores = score_sequences(model_, lines_, batch_);
  for (std::size_t i = 0; i < lines_.size(); ++i)
    each_(LineScore{file_, first_line_ + i, lines_[i].size(), unknown_[i], scores[i]});
  first_line_ += lines_.size();
  lines_.clear();
  unknown_.clear();
}

}  // namespace charloom
