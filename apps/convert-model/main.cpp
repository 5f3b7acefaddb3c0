// convert-model: rewrites a model with its tensors stored as BF16 (half the size) or f32, so
// that a model can be shipped small, and mixes language models into one file; a checkpoint's
// training state is left behind.
#include <cstdio>
#include <filesystem>

#include "charloom/errors.hpp"
#include "charloom/model_catalog.hpp"
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

// Adds each model (a name or a path) to `model`'s mixture, and the members of any mixture among
// them, so that a mixture of mixtures is one flat mixture.
void add_members(ModelFile& model, const std::vector<std::string>& names) {
  for (const std::string& name : names) {
    const std::string path = resolve_model(name);
    ModelFile member = load_model_file(path);
    if (const std::string why = mixture_mismatch(model, member); !why.empty())
      throw UsageError("--mix-with " + path + " cannot join the mixture: " + why);
    std::vector<ModelFile> nested = std::move(member.mixture_members);
    member.mixture_members.clear();
    member.checkpoint_json.clear();
    member.extra_tensors.clear();
    model.mixture_members.push_back(std::move(member));
    for (ModelFile& inner : nested) model.mixture_members.push_back(std::move(inner));
  }
}

}  // namespace

int main(int argc, char** argv) {
  return cli::run("convert-model", [&] {
    cli::ModelFlags model_flags;
    std::string output, storage_name = "bf16";
    std::vector<std::string> mix_with;
    po::options_description flags("convert-model options");
    // clang-format off
    flags.add_options()
        ("output", po::value(&output), "the model file to write (it may be the input)")
        ("storage", po::value(&storage_name)->default_value(storage_name),
         "bf16 (each weight rounded to 8 significant bits) or f32")
        ("mix-with", po::value(&mix_with),
         "a language model (a name or a path; repeat the flag for more) to mix with MODEL: the output predicts the mean of all their "
         "probabilities. They need MODEL's vocabulary, cell and hidden width")
        ("help,h", "show this help");
    // clang-format on
    model_flags.add_to(flags, nullptr);
    po::positional_options_description positional;
    positional.add("model", 1).add("output", 1);
    po::variables_map values;
    if (!cli::parse(argc, argv, flags, positional, values,
                    "convert-model [--storage bf16|f32] [--mix-with MODEL...] MODEL OUTPUT"))
      return 0;
    if (model_flags.list_if_asked()) return 0;
    const TensorStorage storage = parse_storage(storage_name);
    if (model_flags.model.empty() || output.empty()) throw UsageError("give a model and an output file");

    const std::string input = model_flags.path();
    ModelFile model = load_model_file(input);
    // A checkpoint's moments and hidden state resume a run exactly only beside f32 weights.
    const bool was_checkpoint = !model.checkpoint_json.empty();
    model.checkpoint_json.clear();
    model.extra_tensors.clear();
    add_members(model, mix_with);
    const auto bytes_before = std::filesystem::file_size(input);
    save_model_file(output, model, storage);
    const std::string members =
        model.mixture_members.empty() ? "" : ", a mixture of " + std::to_string(model.mixture_members.size() + 1);
    cli::print_stdout("wrote %s: %s tensors%s, %.2f MB (%s %.2f MB)%s\n", output.c_str(), storage_name.c_str(),
                      members.c_str(), static_cast<double>(std::filesystem::file_size(output)) / 1e6, input.c_str(),
                      static_cast<double>(bytes_before) / 1e6,
                      was_checkpoint ? "; the checkpoint's training state was left behind" : "");
    return 0;
  });
}
