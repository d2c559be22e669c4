// The libtorch runtime as the binary sees it: libaudiorium_torch.so (src/neural/) loaded with dlopen() the
// first time a pack is used, so commands without a pack never pay libtorch's start-up (~0.75 s, ~160 MB).
//
// Where the plugin is looked for, first found wins: $AUDIORIUM_TORCH_PLUGIN; next to the running executable;
// ../lib/audiorium/ from it; the build folder this binary was built in. A build without libtorch has no plugin:
// every pack command then fails with an Error saying how to get one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace audiorium::packembed {

struct RuntimeInfo {
  std::string plugin;         // path of the loaded plugin
  std::string torch_version;  // of the libtorch it links
};

// Loads the plugin once per process; throws audiorium::Error with the reason (not built, not found, dlopen
// message, ABI mismatch) when it cannot.
const RuntimeInfo& runtime();
// True when runtime() would succeed; `why` receives the reason otherwise. Never throws.
bool runtime_available(std::string* why = nullptr);
// Intra-op threads of libtorch (torch::set_num_threads); n <= 0: the number of cores. Loads the runtime.
void set_threads(int n);
int threads();

// One TorchScript tower. forward calls are serialised per tower (each already uses every intra-op thread).
class Tower {
 public:
  // Throws Error with an actionable message: missing file, corrupt file, an operator this libtorch lacks
  // (e.g. aten::scaled_dot_product_attention from torch 2.x).
  static Tower load(const std::filesystem::path& file);
  Tower(Tower&&) noexcept;
  Tower& operator=(Tower&&) noexcept;
  ~Tower();

  // float32 input of `shape` → [shape[0], dim] row-major. expected_dim > 0: any other output width is an Error
  // naming both (a tower that disagrees with its manifest).
  std::vector<float> run(std::span<const float> data, const std::vector<int64_t>& shape, int expected_dim) const;
  // (ids, mask) [batch, length] → [batch, dim].
  std::vector<float> run_tokens(std::span<const int64_t> ids, std::span<const int64_t> mask, int64_t batch,
                                int64_t length, int expected_dim) const;
  const std::filesystem::path& file() const { return file_; }

 private:
  Tower(void* module, std::filesystem::path file);
  void* module_ = nullptr;
  std::filesystem::path file_;
  std::unique_ptr<std::mutex> mutex_;
};

}  // namespace audiorium::packembed
