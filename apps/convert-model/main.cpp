// convert-model: rewrites a model with its tensors stored as BF16 (half the size) or f32, so
// that a model can be shipped small; a checkpoint's training state is left behind.
#include <cstdio>
#include <filesystem>

#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "common/cli.hpp"

namespace {

using namespace charloom;
namespace po = cli::po;

TensorStorage parse_storage(const std::string& name) {
  if (name == "bf16") return TensorStorage::bf16;
  if (name == "f32") return TensorStorage::f32;
  throw UsageError("--storage must be bf16 or f32, got '" + name + "'");
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("convert-model", [&] {
    cli::ModelFlags model_flags;
    std::string output, storage_name = "bf16";
    po::options_description flags("convert-model options");
    // clang-format off
    flags.add_options()
        ("output", po::value(&output), "the model file to write (it may be the input)")
        ("storage", po::value(&storage_name)->default_value(storage_name),
         "bf16 (each weight rounded to 8 significant bits) or f32")
        ("help,h", "show this help");
    // clang-format on
    model_flags.add_to(flags, nullptr);
    po::positional_options_description positional;
    positional.add("model", 1).add("output", 1);
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values, "convert-model [--storage bf16|f32] MODEL OUTPUT")) return 0;
    if (model_flags.list_if_asked()) return 0;
    const TensorStorage storage = parse_storage(storage_name);
    if (model_flags.model.empty() || output.empty()) throw UsageError("give a model and an output file");

    const std::string input = model_flags.path();
    ModelFile model = load_model_file(input);
    // A checkpoint's moments and hidden state resume a run exactly only beside f32 weights.
    const bool was_checkpoint = !model.checkpoint_json.empty();
    model.checkpoint_json.clear();
    model.extra_tensors.clear();
    const auto bytes_before = std::filesystem::file_size(input);
    save_model_file(output, model, storage);
    cli::print_stdout("wrote %s: %s tensors, %.2f MB (%s %.2f MB)%s\n", output.c_str(), storage_name.c_str(),
                      static_cast<double>(std::filesystem::file_size(output)) / 1e6, input.c_str(),
                      static_cast<double>(bytes_before) / 1e6,
                      was_checkpoint ? "; the checkpoint's training state was left behind" : "");
    return 0;
  });
}
