// Fuzzes config-file parsing (train-model --config): Boost.Program_options' "name = value"
// files over flags of every kind charloom uses; bad files may only throw charloom::Error.
#include "charloom/errors.hpp"
#include "common/cli.hpp"
#include "fuzz_input.hpp"

using namespace charloom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace po = boost::program_options;
  int layers = 2;
  double rate = 0.002;
  std::string cell = "lstm";
  bool quiet = false;
  std::vector<std::string> corpus;
  po::options_description options("fuzz");
  // clang-format off
  options.add_options()
      ("layers", po::value(&layers)->default_value(layers), "")
      ("learning-rate", po::value(&rate)->default_value(rate), "")
      ("cell", po::value(&cell)->default_value(cell), "")
      ("quiet", po::bool_switch(&quiet), "")
      ("corpus", po::value(&corpus)->composing(), "");
  // clang-format on
  po::variables_map values;
  try {
    cli::parse_config_file(fuzz::write_scratch({reinterpret_cast<const char*>(data), size}), options, values);
  } catch (const Error&) {
  }
  return 0;
}
