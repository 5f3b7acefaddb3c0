// The exceptions charloom throws: each message names the file, line or value, and the fix.
#pragma once

#include <stdexcept>
#include <string>

namespace charloom {

// Base of every charloom error; apps print what() after "<app>: error: ".
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A flag or option value is out of range or unknown; apps exit with status 2.
class UsageError : public Error {
 public:
  using Error::Error;
};

// A file's content is malformed (invalid UTF-8, a bad label, a broken model file).
class InputError : public Error {
 public:
  using Error::Error;
};

// A text holds units the model's vocabulary lacks; the message lists them, and the caller
// adds how its user skips them.
class UnknownUnitsError : public InputError {
 public:
  using InputError::InputError;
};

// The operating system refused a read or a write (missing file, permissions, full disk).
class IoError : public Error {
 public:
  using Error::Error;
};

// A file, or a model by name, that is not there.
class NotFoundError : public IoError {
 public:
  using IoError::IoError;
};

// A StopRequest ended a pass that has no point to stop at and go on from later, such as
// reading a corpus: nothing of the run was kept.
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace charloom
