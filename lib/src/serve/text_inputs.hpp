// The texts of a request, as the models read them: the `unknown` field, and each text encoded
// and checked against the server's length limit, every failure a 400 naming the text.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "charloom/language_model.hpp"
#include "serve/request_fields.hpp"

namespace charloom::serve {

// The `unknown` field: "error" (the default) or "skip".
UnknownPolicy unknown_policy(const Fields& fields);

// A model's encoding of one text, given the name errors call it by.
using Encode = std::function<std::vector<std::uint32_t>(const std::string& text, const std::string& name)>;

// The ids of every text of `field` (named "field" when alone, "field[i]" among several).
std::vector<std::vector<std::uint32_t>> encode_texts(const char* field, const std::vector<std::string>& texts,
                                                     std::int64_t max_units, const Encode& encode);

}  // namespace charloom::serve
