// POST /v1/score and POST /v1/sentiment: texts in, figures out.
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "charloom/language_model.hpp"
#include "charloom/sentiment.hpp"

namespace charloom::serve {

// {"input": text or [texts], "unknown": "error"|"skip"} -> each text's units, nats,
// nats_per_char, bits_per_char and perplexity (every unit after the first is predicted).
nlohmann::ordered_json score_texts(const nlohmann::json& body, LanguageModel& model, const std::string& name,
                                   std::int64_t max_units);

// {"input": text or [texts], "trace": bool} -> each text's score (P(positive)) and label, and
// with trace its units and the score after each.
nlohmann::ordered_json sentiment_of_texts(const nlohmann::json& body, SentimentModel& model, const std::string& name,
                                          std::int64_t max_units);

}  // namespace charloom::serve
