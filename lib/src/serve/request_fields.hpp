// Reading a request body's fields, each checked: a wrong type or a value out of range is an
// ApiError 400 that names the field and what it takes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace charloom::serve {

// The body as JSON: 400 naming the byte where it stops being JSON (or valid UTF-8), or when it
// is not an object.
nlohmann::json parse_body(std::string_view body);

class Fields {
 public:
  explicit Fields(const nlohmann::json& body) : body_(body) {}

  double number(const char* name, double fallback, double low, double high) const;
  std::int64_t integer(const char* name, std::int64_t fallback, std::int64_t low, std::int64_t high) const;
  std::optional<std::uint64_t> unsigned_integer(const char* name) const;
  bool boolean(const char* name, bool fallback) const;
  std::optional<std::string> string(const char* name) const;
  // A string or an array of strings, as a list; empty when absent.
  std::vector<std::string> strings(const char* name) const;
  bool has(const char* name) const;  // present and not null
  // 400 for fields that are present, not null and not false: ones charloom does not do.
  void refuse(std::initializer_list<const char*> names, const char* why) const;

 private:
  const nlohmann::json* find(const char* name) const;
  const nlohmann::json& body_;
};

}  // namespace charloom::serve
