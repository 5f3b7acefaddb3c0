// Checked reads of a request's JSON fields, and the error JSON every failure answers with.
#include "serve/request_fields.hpp"

#include <cmath>

#include "serve/api_error.hpp"

namespace charloom::serve {

namespace {

std::string error_type(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 404:
      return "not_found_error";
    case 503:
      return "unavailable_error";
    default:
      return status >= 500 ? "server_error" : "invalid_request_error";
  }
}

std::string type_name(const nlohmann::json& value) { return value.type_name(); }

}  // namespace

std::string error_body(int status, const std::string& message) {
  const nlohmann::json body{{"error", {{"code", status}, {"message", message}, {"type", error_type(status)}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json parse_body(std::string_view body) {
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& error) {
    throw ApiError(400, "the body is not valid JSON at byte " + std::to_string(error.byte) +
                            " (JSON text must be valid UTF-8): send one JSON object");
  }
  if (!parsed.is_object()) throw ApiError(400, "the body must be a JSON object, got " + type_name(parsed));
  return parsed;
}

const nlohmann::json* Fields::find(const char* name) const {
  const auto found = body_.find(name);
  return found == body_.end() || found->is_null() ? nullptr : &*found;
}

bool Fields::has(const char* name) const { return find(name) != nullptr; }

double Fields::number(const char* name, double fallback, double low, double high) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return fallback;
  if (!value->is_number()) throw ApiError(400, std::string(name) + " must be a number, got " + type_name(*value));
  const double number = value->get<double>();
  if (!(number >= low && number <= high) || !std::isfinite(number))
    throw ApiError(400, std::string(name) + " must be from " + nlohmann::json(low).dump() + " to " +
                            nlohmann::json(high).dump() + ", got " + value->dump());
  return number;
}

std::int64_t Fields::integer(const char* name, std::int64_t fallback, std::int64_t low, std::int64_t high) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return fallback;
  const std::string range = " from " + std::to_string(low) + " to " + std::to_string(high);
  if (!value->is_number_integer())
    throw ApiError(400, std::string(name) + " must be a whole number" + range + ", got " + value->dump());
  const std::string bad = std::string(name) + " must be" + range + ", got " + value->dump();
  if (value->is_number_unsigned() && value->get<std::uint64_t>() > static_cast<std::uint64_t>(high))
    throw ApiError(400, bad);
  const std::int64_t number = value->get<std::int64_t>();
  if (number < low || number > high) throw ApiError(400, bad);
  return number;
}

std::optional<std::uint64_t> Fields::unsigned_integer(const char* name) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_unsigned() && !(value->is_number_integer() && value->get<std::int64_t>() >= 0))
    throw ApiError(400,
                   std::string(name) + " must be a whole number from 0 to 18446744073709551615, got " + value->dump());
  return value->get<std::uint64_t>();
}

bool Fields::boolean(const char* name, bool fallback) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) throw ApiError(400, std::string(name) + " must be true or false, got " + value->dump());
  return value->get<bool>();
}

std::optional<std::string> Fields::string(const char* name) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) throw ApiError(400, std::string(name) + " must be a string, got " + type_name(*value));
  return value->get<std::string>();
}

std::vector<std::string> Fields::strings(const char* name) const {
  const nlohmann::json* value = find(name);
  if (value == nullptr) return {};
  if (value->is_string()) return {value->get<std::string>()};
  const std::string wanted = std::string(name) + " must be a string or an array of strings";
  if (!value->is_array()) throw ApiError(400, wanted + ", got " + type_name(*value));
  std::vector<std::string> list;
  for (std::size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string())
      throw ApiError(400, wanted + ", got " + type_name((*value)[i]) + " at [" + std::to_string(i) + "]");
    list.push_back((*value)[i].get<std::string>());
  }
  return list;
}

void Fields::refuse(std::initializer_list<const char*> names, const char* why) const {
  for (const char* name : names) {
    const nlohmann::json* value = find(name);
    if (value != nullptr && !(value->is_boolean() && !value->get<bool>()))
      throw ApiError(400, std::string(name) + " is not supported: " + why);
  }
}

}  // namespace charloom::serve
