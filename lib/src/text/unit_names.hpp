// How units are written in model files: the unit's own text, or <0xNN> for a lone high byte.
#pragma once

#include <string>
#include <string_view>

#include "charloom/text.hpp"

namespace charloom::text {

// The printable name of a unit's bytes (always valid UTF-8).
std::string unit_name(std::string_view unit_bytes, TextUnit unit);

// The bytes a name stands for; throws InputError when the name is not one unit of that kind.
std::string unit_bytes_from_name(std::string_view name, TextUnit unit);

}  // namespace charloom::text
