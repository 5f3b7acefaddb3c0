// The completions API: request fields, streams, responses and SSE chunks.
#include "serve/completion_api.hpp"

#include <random>

#include "charloom/errors.hpp"
#include "serve/api_error.hpp"
#include "serve/request_fields.hpp"
#include "serve/text_inputs.hpp"

namespace charloom::serve {

namespace {

constexpr int max_stops = 16;
constexpr std::size_t max_stop_bytes = 256;

// The length of the longest prefix of `text` that does not end inside a UTF-8 sequence.
std::size_t complete_prefix(const std::string& text) {
  std::size_t back = 0;
  while (back < text.size() && back < 4 && (static_cast<unsigned char>(text[text.size() - 1 - back]) & 0xC0) == 0x80)
    ++back;
  if (back == text.size()) return text.size();
  const auto lead = static_cast<unsigned char>(text[text.size() - 1 - back]);
  const std::size_t wanted = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return wanted > back + 1 ? text.size() - 1 - back : text.size();
}

std::string json_line(const nlohmann::ordered_json& value) {
  return "data: " + value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

}  // namespace

CompletionRequest parse_completion(const nlohmann::json& body, std::int64_t max_units, int max_streams) {
  const Fields fields(body);
  fields.refuse({"echo", "suffix"}, "charloom completes prompts as given");
  CompletionRequest request;
  request.model = fields.string("model").value_or("");
  request.prompts = fields.strings("prompt");
  if (request.prompts.empty()) request.prompts.emplace_back();
  request.n = static_cast<int>(fields.integer("n", 1, 1, max_streams));
  if (fields.has("best_of") && fields.integer("best_of", request.n, 1, max_streams) != request.n)
    throw ApiError(400, "best_of is not supported: ask for n completions and choose among them");
  const auto streams = static_cast<std::int64_t>(request.prompts.size()) * request.n;
  if (streams > max_streams)
    throw ApiError(400, "prompts times n must be at most " + std::to_string(max_streams) +
                            " (the server's --max-streams), got " + std::to_string(streams));
  StreamSettings& settings = request.settings;
  settings.length = fields.integer("max_tokens", std::min<std::int64_t>(256, max_units), 1, max_units);
  settings.sampling.temperature = fields.number("temperature", 1.0, 0.0, 100.0);
  settings.sampling.top_p = fields.number("top_p", 1.0, 0.0, 1.0);
  if (settings.sampling.top_p <= 0.0) throw ApiError(400, "top_p must be above 0 and at most 1, got 0");
  settings.sampling.top_k = static_cast<int>(fields.integer("top_k", 0, 0, 1'000'000));
  settings.logprobs = static_cast<int>(fields.integer("logprobs", -1, 0, 20));
  settings.stops = fields.strings("stop");
  if (settings.stops.size() > max_stops)
    throw ApiError(400, "stop takes at most " + std::to_string(max_stops) + " strings, got " +
                            std::to_string(settings.stops.size()));
  for (const std::string& stop : settings.stops)
    if (stop.empty() || stop.size() > max_stop_bytes)
      throw ApiError(400, "each stop string must be 1 to " + std::to_string(max_stop_bytes) + " bytes long");
  const std::optional<std::uint64_t> seed = fields.unsigned_integer("seed");
  settings.seed = seed ? *seed : std::random_device{}();
  request.stream = fields.boolean("stream", false);
  request.unknown = unknown_policy(fields);
  return request;
}

std::shared_ptr<GenerationJob> completion_job(const CompletionRequest& request, const LanguageModel& model,
                                              std::int64_t max_units, std::int64_t& prompt_units) {
  const auto primes = encode_texts(
      "prompt", request.prompts, max_units,
      [&](const std::string& text, const std::string& name) { return model.encode(text, request.unknown, name); });
  std::vector<GenerationJob::Choice> choices;
  prompt_units = 0;
  for (const std::vector<std::uint32_t>& prime : primes) {
    prompt_units += static_cast<std::int64_t>(prime.size());
    for (int j = 0; j < request.n; ++j) {
      StreamSettings settings = request.settings;
      settings.sample = j;
      choices.push_back({prime, settings});
    }
  }
  return std::make_shared<GenerationJob>(std::move(choices));
}

CompletionWriter::CompletionWriter(const CompletionRequest& request, std::string id, std::int64_t created,
                                   std::int64_t prompt_units)
    : id_(std::move(id)),
      model_(request.model),
      created_(created),
      prompt_units_(prompt_units),
      seed_(request.settings.seed),
      logprobs_(request.settings.logprobs >= 0),
      choices_(request.prompts.size() * static_cast<std::size_t>(request.n)),
      logprobs_of_(choices_.size()) {}

nlohmann::ordered_json CompletionWriter::envelope() const {
  return {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", model_}, {"seed", seed_}};
}

nlohmann::ordered_json CompletionWriter::usage() const {
  std::int64_t completion = 0;
  for (const Choice& choice : choices_) completion += choice.units;
  return {{"prompt_tokens", prompt_units_},
          {"completion_tokens", completion},
          {"total_tokens", prompt_units_ + completion}};
}

void CompletionWriter::append_units(Choice& choice, nlohmann::ordered_json& into,
                                    const std::vector<UnitLogprob>& units) {
  if (into.is_null())
    into = {{"tokens", nlohmann::ordered_json::array()},
            {"token_logprobs", nlohmann::ordered_json::array()},
            {"top_logprobs", nlohmann::ordered_json::array()},
            {"text_offset", nlohmann::ordered_json::array()}};
  for (const UnitLogprob& unit : units) {
    into["tokens"].push_back(unit.text);
    into["token_logprobs"].push_back(unit.logprob);
    nlohmann::ordered_json top = nlohmann::ordered_json::object();
    for (const auto& [text, logprob] : unit.top) top[text] = logprob;
    into["top_logprobs"].push_back(top);
    into["text_offset"].push_back(choice.offset);
    choice.offset += static_cast<std::int64_t>(unit.text.size());
  }
}

std::string CompletionWriter::take_complete(Choice& choice, const std::string& text, bool finished) {
  choice.held += text;
  const std::size_t cut = finished ? choice.held.size() : complete_prefix(choice.held);
  std::string out = choice.held.substr(0, cut);
  choice.held.erase(0, cut);
  return out;
}

void CompletionWriter::add(const std::vector<StreamEvent>& events) {
  for (const StreamEvent& event : events) {
    Choice& choice = choices_[static_cast<std::size_t>(event.choice)];
    choice.text += event.text;
    if (logprobs_) append_units(choice, logprobs_of_[static_cast<std::size_t>(event.choice)], event.units);
    if (!event.finished) continue;
    if (!event.error.empty()) error_ = event.error;
    choice.units = event.end.units;
    choice.finish_reason = std::string(to_string(event.end.reason));
    ++finished_;
  }
}

nlohmann::ordered_json CompletionWriter::response() const {
  if (!error_.empty()) throw ApiError(500, "generation failed: " + error_);
  nlohmann::ordered_json body = envelope();
  body["choices"] = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    const Choice& choice = choices_[i];
    body["choices"].push_back({{"text", choice.text},
                               {"index", i},
                               {"logprobs", logprobs_ ? logprobs_of_[i] : nlohmann::ordered_json()},
                               {"finish_reason", choice.finish_reason}});
  }
  body["usage"] = usage();
  return body;
}

std::string CompletionWriter::chunks(const std::vector<StreamEvent>& events) {
  // Gather each choice's new text first, so that a client that fell behind gets one chunk
  // per choice rather than one per unit.
  std::vector<std::string> text(choices_.size());
  std::vector<nlohmann::ordered_json> logprobs(choices_.size());
  std::vector<char> touched(choices_.size(), 0), ended(choices_.size(), 0);
  for (const StreamEvent& event : events) {
    const auto i = static_cast<std::size_t>(event.choice);
    if (!event.error.empty()) {
      error_ = event.error;
      return json_line(nlohmann::ordered_json::parse(error_body(500, "generation failed: " + error_)));
    }
    text[i] += event.text;
    if (logprobs_) append_units(choices_[i], logprobs[i], event.units);
    touched[i] = 1;
    if (!event.finished) continue;
    ended[i] = 1;
    choices_[i].units = event.end.units;
    choices_[i].finish_reason = std::string(to_string(event.end.reason));
    ++finished_;
  }
  std::string out;
  for (std::size_t i = 0; i < choices_.size(); ++i) {
    if (!touched[i]) continue;
    const std::string piece = take_complete(choices_[i], text[i], ended[i] != 0);
    if (piece.empty() && !ended[i]) continue;
    nlohmann::ordered_json chunk = envelope();
    chunk["choices"] = {
        {{"text", piece},
         {"index", i},
         {"logprobs", logprobs_ ? logprobs[i] : nlohmann::ordered_json()},
         {"finish_reason", ended[i] ? nlohmann::ordered_json(choices_[i].finish_reason) : nlohmann::ordered_json()}}};
    if (ended[i] && done()) chunk["usage"] = usage();
    out += json_line(chunk);
  }
  if (done()) out += "data: [DONE]\n\n";
  return out;
}

}  // namespace charloom::serve
