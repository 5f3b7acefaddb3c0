// Fuzzes model and checkpoint loading (the safetensors header, its metadata and the tensor
// checksum): whatever the bytes, loading either succeeds or throws charloom::Error.
#include "charloom/errors.hpp"
#include "charloom/model_file.hpp"
#include "fuzz_input.hpp"

using namespace charloom;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = fuzz::write_scratch({reinterpret_cast<const char*>(data), size});
  try {
    const ModelFile model = load_model_file(path);
    fuzz::require(model.config.vocabulary_size == static_cast<int>(model.vocabulary.size()),
                  "a loaded model's vocabulary disagrees with its configuration");
  } catch (const Error&) {
  }
  return 0;
}
