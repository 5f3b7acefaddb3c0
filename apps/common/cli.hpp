// Command-line plumbing shared by the apps: common flags, parsing, and one error handler.
#pragma once

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>

#include "charloom/model_config.hpp"
#include "charloom/text.hpp"

namespace charloom::cli {

namespace po = boost::program_options;

// The text-layer flags every app that reads text takes.
struct TextFlags {
  std::string unit = std::string(to_string(TextOptions{}.unit));
  std::string normalize = std::string(to_string(TextOptions{}.normalization));
  std::string invalid_utf8 = std::string(to_string(TextOptions{}.invalid_utf8));
  std::string newlines = std::string(to_string(TextOptions{}.newlines));

  void add_to(po::options_description& description);
  // Throws UsageError for an unknown name.
  TextOptions resolve() const;
};

// --threads and --precision, which every app that runs a model takes.
struct ComputeFlags {
  int threads = 0;
  std::string precision = "f32";

  void add_to(po::options_description& description);
  // Sets the thread count and returns the precision; UsageError for bad values. Warns on
  // stderr, naming `app`, when this CPU would emulate the precision.
  Precision apply(std::string_view app) const;
};

// --model (a name or a path) and --list-models, which every app that runs a model takes.
struct ModelFlags {
  std::string model;
  bool list = false;

  // `default_name` is the shipped model the app uses when --model is not given (none when null).
  void add_to(po::options_description& description, const char* default_name);
  // With --list-models: prints every model found, with its kind, size, folder and recorded
  // figures, and returns true.
  bool list_if_asked() const;
  // The model file --model names; InputError listing where it looked when there is none.
  std::string path() const;
};

// Parses argv into `values`. Returns false when --help was asked for and has been printed.
// Throws UsageError for unknown flags or malformed values.
bool parse(int argc, char** argv, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values, std::string_view usage);

// Reads "name = value" lines (Boost.Program_options' config file format) into `values`;
// options already given on the command line win.
void parse_config_file(const std::string& path, const po::options_description& options, po::variables_map& values);

// Runs the app's body: "<app>: error: <message>" on stderr, exit 2 for usage errors, 1 for others.
// Standard output is checked too: a write that failed (a full disk, say) is an error, exit 1,
// while a reader that went away (a closed pipe) ends the app quietly with the body's status.
int run(std::string_view app, const std::function<int()>& body);

// Thrown by write_stdout when the reader of standard output has gone: run() ends quietly.
struct ClosedPipe {};

// Writes to standard output, unbuffered by charloom (stdio's buffer remains); throws
// ClosedPipe on EPIPE and IoError for any other failure.
void write_stdout(std::string_view text);
// printf to standard output through write_stdout.
[[gnu::format(printf, 1, 2)]] void print_stdout(const char* format, ...);
// The same, flushed at once, for output a reader watches as it comes.
void write_stdout_now(std::string_view text);

// `text` with every byte that does not begin a valid UTF-8 sequence replaced by U+FFFD.
std::string valid_utf8(std::string_view text);

// JSON text of `value` that is always valid UTF-8: bytes that are not (a byte-unit model's
// lone bytes, say) become U+FFFD.
std::string json_text(const nlohmann::ordered_json& value, int indent = -1);
std::string json_text(const nlohmann::json& value, int indent = -1);

// A unit made printable for a terminal: controls as \n, \t, \xNN; the rest as is.
std::string printable(std::string_view unit);

// A whole file's bytes; IoError naming the file when it cannot be read.
std::string read_text_file(const std::string& path);

// Peak resident memory of this process in bytes.
std::uint64_t peak_rss_bytes();

}  // namespace charloom::cli

namespace charloom::cli {

// Checks a whole-number flag against its allowed range; throws UsageError naming the flag.
std::int64_t checked_range(std::string_view flag, std::int64_t value, std::int64_t low, std::int64_t high);

}  // namespace charloom::cli
