#include "packembed/runtime.h"

#include <dlfcn.h>
#include <unistd.h>

#include <memory>
#include <thread>

#include "core/error.h"
#include "neural/torch_abi.h"

namespace audiorium::packembed {

namespace fs = std::filesystem;

namespace {

struct Loaded {
  const audiorium_torch_api* api = nullptr;
  RuntimeInfo info;
  std::string error;
};

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  constexpr const char* kName = "libaudiorium_torch.so";
  if (const char* env = std::getenv("AUDIORIUM_TORCH_PLUGIN"); env && *env) out.emplace_back(env);
  std::error_code ec;
  const auto exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / kName);
    out.push_back(exe.parent_path().parent_path() / "lib" / "audiorium" / kName);
  }
#ifdef AUDIORIUM_TORCH_PLUGIN_PATH
  out.emplace_back(AUDIORIUM_TORCH_PLUGIN_PATH);
#endif
  return out;
}

const Loaded& loaded() {
  static const Loaded state = [] {
    Loaded l;
#ifndef AUDIORIUM_TORCH_PLUGIN_PATH
    constexpr bool built = false;
#else
    constexpr bool built = true;
#endif
    std::string tried;
    for (const auto& path : candidates()) {
      std::error_code ec;
      if (!fs::exists(path, ec)) {
        tried += (tried.empty() ? "" : ", ") + path.string();
        continue;
      }
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        l.error = "cannot load the libtorch plugin " + path.string() + ": " + dlerror() +
                  " (is libtorch-dev installed? scripts/install-deps.sh installs it)";
        return l;
      }
      auto get = reinterpret_cast<audiorium_torch_get_api_fn>(dlsym(handle, "audiorium_torch_get_api"));
      if (!get || !get() || get()->abi_version != AUDIORIUM_TORCH_ABI_VERSION) {
        l.error = path.string() + " is not a libtorch plugin of this build (ABI version mismatch): rebuild it";
        return l;  // the handle stays open: unloading libtorch is not worth the risk
      }
      l.api = get();
      l.info = {path.string(), l.api->torch_version};
      return l;
    }
    l.error = built ? "the libtorch plugin libaudiorium_torch.so was not found (looked at: " + tried +
                          "); set AUDIORIUM_TORCH_PLUGIN to its path"
                    : "this audiorium was built without libtorch, so it cannot run model packs: install libtorch-dev "
                      "(scripts/install-deps.sh does) and rebuild";
    return l;
  }();
  return state;
}

const audiorium_torch_api& api() {
  const auto& l = loaded();
  if (!l.api) throw Error(l.error);
  return *l.api;
}

void check_dim(const int64_t shape[2], int64_t batch, int expected_dim, const fs::path& file) {
  if (shape[0] != batch)
    throw Error(file.string() + ": the tower returned " + std::to_string(shape[0]) + " rows for a batch of " +
                std::to_string(batch));
  if (expected_dim > 0 && shape[1] != expected_dim)
    throw Error(file.string() + ": the tower returns " + std::to_string(shape[1]) +
                "-dimensional embeddings but the pack's manifest says embedding_dim " + std::to_string(expected_dim));
}

constexpr std::size_t kMaxDim = 1 << 16;

}  // namespace

const RuntimeInfo& runtime() {
  api();
  return loaded().info;
}

bool runtime_available(std::string* why) {
  const auto& l = loaded();
  if (!l.api && why) *why = l.error;
  return l.api != nullptr;
}

void set_threads(int n) {
  if (n <= 0) n = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  api().set_threads(n);
}

int threads() { return api().get_threads(); }

Tower::Tower(void* module, fs::path file)
    : module_(module), file_(std::move(file)), mutex_(std::make_unique<std::mutex>()) {}
Tower::Tower(Tower&& o) noexcept : module_(o.module_), file_(std::move(o.file_)), mutex_(std::move(o.mutex_)) {
  o.module_ = nullptr;
}
Tower& Tower::operator=(Tower&& o) noexcept {
  if (this != &o) {
    if (module_) api().free_module(static_cast<audiorium_torch_module*>(module_));
    module_ = o.module_;
    file_ = std::move(o.file_);
    mutex_ = std::move(o.mutex_);
    o.module_ = nullptr;
  }
  return *this;
}
Tower::~Tower() {
  if (module_) loaded().api->free_module(static_cast<audiorium_torch_module*>(module_));
}

Tower Tower::load(const fs::path& file) {
  const auto& a = api();
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) throw Error(file.string() + ": tower file missing");
  char err[2048] = {0};
  auto* m = a.load(file.c_str(), err, sizeof err);
  if (!m) throw Error(err);
  return Tower(m, file);
}

namespace {

// One forward call through the plugin, under the tower's lock (a TorchScript module is not re-entrant here), with
// the output's shape checked against the manifest.
template <class Forward>
std::vector<float> run_forward(std::mutex& mutex, const fs::path& file, int64_t batch, int expected_dim,
                               Forward&& forward) {
  const std::size_t cap =
      static_cast<std::size_t>(batch) * (expected_dim > 0 ? static_cast<std::size_t>(expected_dim) : kMaxDim);
  std::vector<float> out(cap);
  int64_t out_shape[2] = {0, 0};
  char err[2048] = {0};
  int rc;
  {
    std::lock_guard lock(mutex);
    rc = forward(out.data(), out.size(), out_shape, err, sizeof err);
  }
  // The plugin reports the output's shape even when it did not fit: a width other than the manifest's is named
  // as that, not as a buffer problem.
  if (rc != 0 && out_shape[0] > 0) check_dim(out_shape, batch, expected_dim, file);
  if (rc != 0) throw Error(file.string() + ": " + err);
  check_dim(out_shape, batch, expected_dim, file);
  out.resize(static_cast<std::size_t>(out_shape[0] * out_shape[1]));
  return out;
}

}  // namespace

std::vector<float> Tower::run(std::span<const float> data, const std::vector<int64_t>& shape, int expected_dim) const {
  const int64_t batch = shape.empty() ? 0 : shape[0];
  return run_forward(*mutex_, file_, batch, expected_dim,
                     [&](float* out, std::size_t out_len, int64_t out_shape[2], char* err, std::size_t err_len) {
                       return api().forward_float(static_cast<audiorium_torch_module*>(module_), data.data(),
                                                  shape.data(), static_cast<int>(shape.size()), out, out_len,
                                                  out_shape, err, err_len);
                     });
}

std::vector<float> Tower::run_tokens(std::span<const int64_t> ids, std::span<const int64_t> mask, int64_t batch,
                                     int64_t length, int expected_dim) const {
  if (ids.size() != static_cast<std::size_t>(batch * length) || mask.size() != ids.size())
    throw Error(file_.string() + ": token batch of the wrong size");
  return run_forward(*mutex_, file_, batch, expected_dim,
                     [&](float* out, std::size_t out_len, int64_t out_shape[2], char* err, std::size_t err_len) {
                       return api().forward_tokens(static_cast<audiorium_torch_module*>(module_), ids.data(),
                                                   mask.data(), batch, length, out, out_len, out_shape, err, err_len);
                     });
}

}  // namespace audiorium::packembed
