// The server's errors: an HTTP status and a message, answered as OpenAI-style error JSON.
#pragma once

#include <stdexcept>
#include <string>

namespace charloom::serve {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// {"error":{"code":status,"message":...,"type":...}}, the type following the status.
std::string error_body(int status, const std::string& message);

}  // namespace charloom::serve
