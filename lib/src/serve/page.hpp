// The web page GET / serves: compiled in, so the server reads no file from disk.
#pragma once

#include <string_view>

namespace charloom::serve {

std::string_view page_html();

}  // namespace charloom::serve
