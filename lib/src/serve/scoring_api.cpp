// Scoring and sentiment requests: read and check the texts, run the model, shape the answer.
#include "serve/scoring_api.hpp"

#include <cmath>

#include "charloom/errors.hpp"
#include "charloom/scoring.hpp"
#include "charloom/text.hpp"
#include "serve/api_error.hpp"
#include "serve/request_fields.hpp"
#include "serve/text_inputs.hpp"

namespace charloom::serve {

namespace {

constexpr std::size_t max_texts = 1024;

std::vector<std::string> input_texts(const Fields& fields) {
  if (!fields.has("input")) throw ApiError(400, "input is missing: send a string or an array of strings");
  std::vector<std::string> texts = fields.strings("input");
  if (texts.empty() || texts.size() > max_texts)
    throw ApiError(400,
                   "input must hold 1 to " + std::to_string(max_texts) + " texts, got " + std::to_string(texts.size()));
  return texts;
}

}  // namespace

nlohmann::ordered_json score_texts(const nlohmann::json& body, LanguageModel& model, const std::string& name,
                                   std::int64_t max_units) {
  const Fields fields(body);
  const std::vector<std::string> texts = input_texts(fields);
  const UnknownPolicy policy = unknown_policy(fields);
  const auto ids = encode_texts("input", texts, max_units, [&](const std::string& text, const std::string& source) {
    return model.encode(text, policy, source);
  });
  const std::vector<TextScore> scores = score_sequences(model, ids, 32);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const TextScore& score = scores[i];
    results.push_back({{"index", i},
                       {"units", ids[i].size()},
                       {"units_scored", score.units_scored},
                       {"nats", score.nats},
                       {"nats_per_char", score.nats_per_unit()},
                       {"bits_per_char", score.bits_per_unit()},
                       {"perplexity", score.perplexity()}});
  }
  return {{"object", "score"}, {"model", name}, {"results", results}};
}

nlohmann::ordered_json sentiment_of_texts(const nlohmann::json& body, SentimentModel& model, const std::string& name,
                                          std::int64_t max_units) {
  const Fields fields(body);
  const std::vector<std::string> texts = input_texts(fields);
  const bool trace = fields.boolean("trace", false);
  const auto ids = encode_texts("input", texts, max_units, [&](const std::string& text, const std::string& source) {
    return model.encode(text, source);
  });
  const std::vector<double> scores = model.score(ids);
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < scores.size(); ++i) {
    nlohmann::ordered_json result{
        {"index", i}, {"score", scores[i]}, {"label", scores[i] >= 0.5 ? "positive" : "negative"}};
    if (trace) {
      // The text's own units, so that a unit the model lacks shows as written.
      result["scores"] = model.trace(ids[i]);
      std::vector<std::string> units = split_units(texts[i], model.config().text);
      units.resize(result["scores"].size());  // units past the model's length limit are not traced
      result["units"] = units;
    }
    results.push_back(result);
  }
  return {{"object", "sentiment"}, {"model", name}, {"results", results}};
}

}  // namespace charloom::serve
