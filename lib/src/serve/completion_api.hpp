// POST /v1/completions: the request as OpenAI's completions API has it, turned into streams,
// and the streams' events turned into its response or its Server-Sent Events.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "charloom/language_model.hpp"
#include "serve/generation_job.hpp"

namespace charloom::serve {

struct CompletionRequest {
  std::string model;  // empty: the first language model served
  std::vector<std::string> prompts;
  StreamSettings settings;  // the seed is drawn when the request has none
  int n = 1;                // completions per prompt
  bool stream = false;
  UnknownPolicy unknown = UnknownPolicy::error;
};

// 400 naming the field for anything out of range; `max_streams` bounds prompts times n.
CompletionRequest parse_completion(const nlohmann::json& body, std::int64_t max_units, int max_streams);

// The job's streams: prompt i's completion j is choice i * n + j, and draws as generate()'s
// sample j with the request's seed. 400 naming the prompt for text the model cannot read.
std::shared_ptr<GenerationJob> completion_job(const CompletionRequest& request, const LanguageModel& model,
                                              std::int64_t max_units, std::int64_t& prompt_units);

// Gathers the events of one request into OpenAI's shapes.
class CompletionWriter {
 public:
  CompletionWriter(const CompletionRequest& request, std::string id, std::int64_t created, std::int64_t prompt_units);

  // Streaming: the events as SSE chunks, one per choice that has new text or has ended, then
  // "data: [DONE]" once every choice has. A stream's failure is an error event that ends it.
  std::string chunks(const std::vector<StreamEvent>& events);
  bool done() const { return finished_ == static_cast<int>(choices_.size()); }
  bool failed() const { return !error_.empty(); }  // the stream must end after the error event
  // Non-streaming: add every event, then take the whole response (500 if a stream failed).
  void add(const std::vector<StreamEvent>& events);
  nlohmann::ordered_json response() const;

 private:
  struct Choice {
    std::string text;           // all of it, for the response
    std::string held;           // bytes of an incomplete UTF-8 character, not yet sent
    std::int64_t offset = 0;    // bytes of text before the units not yet sent
    std::string finish_reason;  // empty while running
    std::int64_t units = 0;
  };
  nlohmann::ordered_json envelope() const;
  nlohmann::ordered_json usage() const;
  void append_units(Choice& choice, nlohmann::ordered_json& into, const std::vector<UnitLogprob>& units);
  std::string take_complete(Choice& choice, const std::string& text, bool finished);

  std::string id_, model_;
  std::int64_t created_, prompt_units_;
  std::uint64_t seed_;
  bool logprobs_;
  std::vector<Choice> choices_;
  // Per choice, for the response: OpenAI's tokens, token_logprobs, top_logprobs, text_offset.
  std::vector<nlohmann::ordered_json> logprobs_of_;
  int finished_ = 0;
  std::string error_;
};

}  // namespace charloom::serve
