// Flag parsing and error reporting shared by every charloom app.
#include "common/cli.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <vector>

#include "charloom/errors.hpp"
#include "charloom/model_catalog.hpp"
#include "charloom/model_file.hpp"
#include "charloom/threads.hpp"

namespace charloom::cli {

void TextFlags::add_to(po::options_description& description) {
  // clang-format off
  description.add_options()
      ("unit", po::value(&unit)->default_value(unit), "text unit: codepoint, grapheme or byte")
      ("normalize", po::value(&normalize)->default_value(normalize), "Unicode normalization: nfc, nfkc or none")
      ("invalid-utf8", po::value(&invalid_utf8)->default_value(invalid_utf8),
       "invalid UTF-8: error, or replace with U+FFFD")
      ("newlines", po::value(&newlines)->default_value(newlines), "newlines: keep, or lf to turn CR LF into LF");
  // clang-format on
}

void ComputeFlags::add_to(po::options_description& description) {
  // clang-format off
  description.add_options()
      ("threads", po::value(&threads)->default_value(threads), "threads (0 = all cores)")
      ("precision", po::value(&precision)->default_value(precision),
       "recurrent-layer arithmetic: f32, bf16, or int8 (LSTM only; weights quantized per gate row on loading)");
  // clang-format on
}

Precision ComputeFlags::apply(std::string_view app) const {
  if (threads < 0) throw UsageError("--threads must not be negative");
  const Precision chosen = parse_precision(precision);
  if (!native_precision(chosen))
    std::cerr << app << ": warning: this CPU has no native " << to_string(chosen)
              << " instructions; oneDNN emulates them, slower than --precision f32\n";
  set_thread_count(threads);
  return chosen;
}

void ModelFlags::add_to(po::options_description& description, const char* default_name) {
  auto* value = po::value(&model);
  if (default_name != nullptr) value->default_value(model = default_name);
  // clang-format off
  description.add_options()
      ("model", value, "a model's name (see --list-models) or its file")
      ("list-models", po::bool_switch(&list), "list the models found by name, and where");
  // clang-format on
}

bool ModelFlags::list_if_asked() const {
  if (!list) return false;
  const std::vector<FoundModel> models = available_models();
  std::string folders;
  for (const std::string& folder : model_folders()) folders += "  " + folder + "\n";
  print_stdout("models are looked for in, in order:\n%s", folders.c_str());
  if (models.empty()) print_stdout("no models found\n");
  for (const FoundModel& found : models) {
    const nlohmann::json record = nlohmann::json::parse(found.record.empty() ? "{}" : found.record, nullptr, false);
    const std::string kind = record.is_object() && record.contains("kind") && record["kind"].is_string()
                                 ? record["kind"].get<std::string>()
                                 : load_model_file(found.path).kind;
    std::string figures;
    if (record.is_object() && record.contains("figures")) figures = "  " + json_text(record["figures"]);
    print_stdout("%-16s %-22s %8.1f MB  %s%s\n", found.name.c_str(), kind.c_str(),
                 static_cast<double>(found.bytes) / 1e6, found.folder.c_str(), figures.c_str());
  }
  return true;
}

std::string ModelFlags::path() const { return resolve_model(model); }

TextOptions TextFlags::resolve() const {
  TextOptions options;
  options.unit = parse_text_unit(unit);
  options.normalization = parse_normalization(normalize);
  options.invalid_utf8 = parse_invalid_utf8_policy(invalid_utf8);
  options.newlines = parse_newline_policy(newlines);
  return options;
}

namespace {

// Boost 1.74 builds an error message by replacing %placeholders% with the text that caused
// the error, and loops forever when that text holds a placeholder itself (the fuzzer found
// `--hidden %value%`). So a failed parse is repeated over a copy of the input with every '%'
// made '?': the same error at the same place, in a text that is safe to build a message from.
std::string without_percent(std::string text) {
  std::replace(text.begin(), text.end(), '%', '?');
  return text;
}

template <typename Parse>
std::string safe_error_message(const Parse& parse_copy) {
  try {
    po::variables_map scratch;
    parse_copy(scratch);
    po::notify(scratch);
  } catch (const po::error& error) {
    return error.what();
  }
  return "the options are invalid";
}

}  // namespace

bool parse(int argc, char** argv, const po::options_description& options,
           const po::positional_options_description& positional, po::variables_map& values, std::string_view usage) {
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), values);
    if (values.count("help") != 0) {
      std::ostringstream help;
      help << "Usage: " << usage << "\n\n" << options << "\n";
      write_stdout(help.str());
      return false;
    }
    po::notify(values);
  } catch (const po::error&) {
    std::vector<std::string> copies(argv, argv + argc);
    std::vector<char*> pointers;
    for (std::string& copy : copies) pointers.push_back((copy = without_percent(copy)).data());
    throw UsageError(safe_error_message([&](po::variables_map& scratch) {
                       po::store(
                           po::command_line_parser(argc, pointers.data()).options(options).positional(positional).run(),
                           scratch);
                     }) +
                     "; see --help");
  }
  return true;
}

void parse_config_file(const std::string& path, const po::options_description& options, po::variables_map& values) {
  std::ifstream file(path);
  if (!file) throw IoError("cannot read config file " + path + "; check the path");
  const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  try {
    std::istringstream stream(text);
    po::store(po::parse_config_file(stream, options), values);
    po::notify(values);
  } catch (const po::error&) {
    throw UsageError(path + ": " + safe_error_message([&](po::variables_map& scratch) {
                       std::istringstream copy(without_percent(text));
                       po::store(po::parse_config_file(copy, options), scratch);
                     }));
  }
}

namespace {

// Set once the reader of standard output has gone: nothing more can reach it.
bool stdout_closed = false;

[[noreturn]] void stdout_failed(int error) {
  if (error == EPIPE || stdout_closed) {
    stdout_closed = true;
    throw ClosedPipe{};
  }
  throw IoError(std::string("cannot write to standard output: ") + std::strerror(error) +
                "; free space or write elsewhere");
}

// Flushes standard output at the end of a run: its buffer may hold the last failed write.
void finish_stdout() {
  errno = 0;  // std::cout shares stdout's buffer (sync_with_stdio), so one flush serves both
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) stdout_failed(errno != 0 ? errno : EIO);
}

}  // namespace

void write_stdout(std::string_view text) {
  errno = 0;
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size())
    stdout_failed(errno != 0 ? errno : EIO);
}

void print_stdout(const char* format, ...) {
  std::va_list arguments;
  va_start(arguments, format);
  std::va_list copy;
  va_copy(copy, arguments);
  const int length = std::vsnprintf(nullptr, 0, format, copy);
  va_end(copy);
  std::string text(static_cast<std::size_t>(std::max(length, 0)), '\0');
  std::vsnprintf(text.data(), text.size() + 1, format, arguments);
  va_end(arguments);
  write_stdout(text);
}

void write_stdout_now(std::string_view text) {
  write_stdout(text);
  errno = 0;
  if (std::fflush(stdout) != 0) stdout_failed(errno != 0 ? errno : EIO);
}

namespace {

// The length of the valid UTF-8 sequence at the start of `text`, or 0 when there is none.
std::size_t valid_sequence(std::string_view text) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the second byte's range
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (std::size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

}  // namespace

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const std::size_t length = valid_sequence(text);
    out.append(length > 0 ? text.substr(0, length) : std::string_view("\xEF\xBF\xBD"));
    text.remove_prefix(length > 0 ? length : 1);
  }
  return out;
}

std::string json_text(const nlohmann::ordered_json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string json_text(const nlohmann::json& value, int indent) {
  return value.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

int run(std::string_view app, const std::function<int()>& body) {
  // A closed pipe (app | head) shows up as a failed write, not a fatal signal.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const int status = body();
    finish_stdout();
    return status;
  } catch (const ClosedPipe&) {
    return 0;
  } catch (const UsageError& error) {
    std::cerr << app << ": error: " << error.what() << "\n";
    return 2;
  } catch (const std::exception& error) {
    std::cerr << app << ": error: " << error.what() << "\n";
    return 1;
  }
}

std::string printable(std::string_view unit) {
  std::string out;
  for (char c : unit) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (byte < 0x20 || byte == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
      out += buffer;
    } else {
      out += c;
    }
  }
  return out;
}

std::string read_text_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot read " + path + "; check the path");
  std::string bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (file.bad()) throw IoError("cannot read " + path + "; the read failed");
  return bytes;
}

std::uint64_t peak_rss_bytes() {
  struct rusage usage {};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_maxrss) * 1024;
}

}  // namespace charloom::cli

namespace charloom::cli {

std::int64_t checked_range(std::string_view flag, std::int64_t value, std::int64_t low, std::int64_t high) {
  if (value < low || value > high)
    throw UsageError("--" + std::string(flag) + " must be from " + std::to_string(low) + " to " + std::to_string(high) +
                     ", got " + std::to_string(value));
  return value;
}

}  // namespace charloom::cli
