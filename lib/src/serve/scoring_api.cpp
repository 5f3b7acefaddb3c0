// Scoring and sentiment requests: read and check the texts, run the model, shape the answer.
#include "serve/scoring_api.hpp"

#include <cmath>

#include "charloom/errors.hpp"
#include "charloom/scoring.hpp"
#include "charloom/text.hpp"
#include "serve/api_error.hpp"
#include "serve/request_fields.hpp"

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

std::string input_name(std::size_t i, std::size_t count) {
  return count == 1 ? "input" : "input[" + std::to_string(i) + "]";
}

// Ids of every text, each checked against the length limit; encoding errors become 400s.
template <typename Encode>
std::vector<std::vector<std::uint32_t>> encode_all(const std::vector<std::string>& texts, std::int64_t max_units,
                                                   Encode encode) {
  std::vector<std::vector<std::uint32_t>> ids;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string name = input_name(i, texts.size());
    try {
      ids.push_back(encode(texts[i], name));
    } catch (const UnknownUnitsError& error) {
      throw ApiError(400, std::string(error.what()) + "; send \"unknown\": \"skip\" to drop them");
    } catch (const InputError& error) {
      throw ApiError(400, error.what());
    }
    if (static_cast<std::int64_t>(ids.back().size()) > max_units)
      throw ApiError(400, name + " has " + std::to_string(ids.back().size()) + " units; the server takes at most " +
                              std::to_string(max_units) + " (--max-units)");
  }
  return ids;
}

}  // namespace

nlohmann::ordered_json score_texts(const nlohmann::json& body, LanguageModel& model, const std::string& name,
                                   std::int64_t max_units) {
  const Fields fields(body);
  const std::vector<std::string> texts = input_texts(fields);
  const std::string unknown = fields.string("unknown").value_or("error");
  if (unknown != "error" && unknown != "skip")
    throw ApiError(400, "unknown must be \"error\" or \"skip\", got \"" + unknown + "\"");
  const UnknownPolicy policy = parse_unknown_policy(unknown);
  const auto ids = encode_all(texts, max_units, [&](const std::string& text, const std::string& source) {
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
  const auto ids = encode_all(
      texts, max_units, [&](const std::string& text, const std::string& source) { return model.encode(text, source); });
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
