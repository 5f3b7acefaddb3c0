// Encoding a request's texts, with the server's own fix for each error.
#include "serve/text_inputs.hpp"

#include "charloom/errors.hpp"
#include "serve/api_error.hpp"

namespace charloom::serve {

UnknownPolicy unknown_policy(const Fields& fields) {
  const std::string unknown = fields.string("unknown").value_or("error");
  if (unknown != "error" && unknown != "skip")
    throw ApiError(400, "unknown must be \"error\" or \"skip\", got \"" + unknown + "\"");
  return parse_unknown_policy(unknown);
}

std::vector<std::vector<std::uint32_t>> encode_texts(const char* field, const std::vector<std::string>& texts,
                                                     std::int64_t max_units, const Encode& encode) {
  std::vector<std::vector<std::uint32_t>> ids;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const std::string name = texts.size() == 1 ? field : std::string(field) + "[" + std::to_string(i) + "]";
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

}  // namespace charloom::serve
