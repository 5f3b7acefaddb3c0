// Command-line plumbing shared by the apps: common flags, parsing, and one error handler.
#pragma once

#include <boost/program_options.hpp>

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

// Parses argv into `values`. Returns false when --help was asked for and has been printed.
// Throws UsageError for unknown flags or malformed values.
bool parse(int argc, char** argv, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values, std::string_view usage);

// Reads "name = value" lines (Boost.Program_options' config file format) into `values`;
// options already given on the command line win.
void parse_config_file(const std::string& path, const po::options_description& options, po::variables_map& values);

// Runs the app's body: "<app>: error: <message>" on stderr, exit 2 for usage errors, 1 for others.
int run(std::string_view app, const std::function<int()>& body);

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
