// libaudiorium_torch.so: TorchScript towers run with Debian's libtorch, behind the C table of torch_abi.h.
// Built only when CMake finds Torch; compiled as C++17 (libtorch 1.13's headers) with torch's headers as
// system headers. Everything that can throw is caught here and turned into a message.
#include "neural/torch_abi.h"

#include <malloc.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <torch/script.h>
#include <torch/torch.h>

struct audiorium_torch_module {
  torch::jit::Module module;
};

namespace {

void put_error(char* err, size_t err_len, const std::string& message) {
  if (!err || err_len == 0) return;
  const size_t n = std::min(err_len - 1, message.size());
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

// c10::Error messages carry a C++ back-trace after the first line(s); a user needs the first part.
std::string first_lines(const std::string& what, std::size_t max_lines = 3) {
  std::string out;
  std::size_t start = 0, lines = 0;
  while (start < what.size() && lines < max_lines) {
    auto end = what.find('\n', start);
    if (end == std::string::npos) end = what.size();
    const std::string line = what.substr(start, end - start);
    if (line.rfind("Exception raised from", 0) == 0 || line.rfind("frame #", 0) == 0) break;
    if (!line.empty()) {
      out += (out.empty() ? "" : " ") + line;
      ++lines;
    }
    start = end + 1;
  }
  return out;
}

std::string explain_load_error(const std::string& path, const std::string& what) {
  if (what.find("scaled_dot_product_attention") != std::string::npos)
    return path + ": this tower uses aten::scaled_dot_product_attention (written by torch 2.x with SDPA "
                  "attention), which this libtorch (" TORCH_VERSION ") does not have. Re-export the pack with "
                  "eager attention: tools/export_pack.py loads the model with attn_implementation=\"eager\" and "
                  "traces it.";
  if (what.find("Unknown builtin op") != std::string::npos || what.find("Unknown type name") != std::string::npos)
    return path + ": the tower needs an operator this libtorch (" TORCH_VERSION
                  ") does not know — it was probably written by a newer torch; re-export it with "
                  "tools/export_pack.py (which traces with eager attention). Detail: " + first_lines(what, 2);
  if (what.find("PytorchStreamReader") != std::string::npos || what.find("zip archive") != std::string::npos ||
      what.find("file not found") != std::string::npos || what.find("constants.pkl") != std::string::npos)
    return path + ": not a readable TorchScript file (corrupt or truncated? re-copy or re-export the pack). "
                  "Detail: " + first_lines(what, 1);
  return path + ": cannot load the TorchScript tower: " + first_lines(what);
}

int finish_output(const torch::jit::IValue& result, float* out, size_t out_len, int64_t out_shape[2], char* err,
                  size_t err_len) {
  torch::Tensor t;
  if (result.isTensor()) t = result.toTensor();
  else if (result.isTuple() && !result.toTuple()->elements().empty() && result.toTuple()->elements()[0].isTensor())
    t = result.toTuple()->elements()[0].toTensor();
  else {
    put_error(err, err_len, "the tower returned " + result.tagKind() + ", not a tensor [batch, dim]");
    return 1;
  }
  if (t.dim() != 2) {
    std::string shape;
    for (auto s : t.sizes()) shape += (shape.empty() ? "" : ", ") + std::to_string(s);
    put_error(err, err_len, "the tower returned a tensor of shape [" + shape + "], not [batch, dim]");
    return 1;
  }
  t = t.to(torch::kFloat32).contiguous();
  out_shape[0] = t.size(0);
  out_shape[1] = t.size(1);
  const auto n = static_cast<size_t>(t.numel());
  if (n > out_len) {
    put_error(err, err_len, "the tower returned [" + std::to_string(t.size(0)) + ", " + std::to_string(t.size(1)) +
                                "], larger than expected (" + std::to_string(out_len) + " values)");
    return 1;
  }
  std::memcpy(out, t.data_ptr<float>(), n * sizeof(float));
  return 0;
}

void tune_allocator_once() {
  // Batched forward passes allocate and free large tensors; glibc's default hands each one back to the kernel
  // (mmap/munmap), which measured 10x slower from page faults (shared/STACK.md). Keep them in the heap instead.
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
  });
}

void set_threads(int n) {
  if (n > 0) torch::set_num_threads(n);
}
int get_threads() { return torch::get_num_threads(); }

audiorium_torch_module* load(const char* path, char* err, size_t err_len) {
  tune_allocator_once();
  try {
    auto m = std::make_unique<audiorium_torch_module>();
    m->module = torch::jit::load(path, torch::kCPU);
    m->module.eval();
    return m.release();
  } catch (const std::exception& e) {
    put_error(err, err_len, explain_load_error(path, e.what()));
  } catch (...) {
    put_error(err, err_len, std::string(path) + ": cannot load the TorchScript tower (unknown error)");
  }
  return nullptr;
}

void free_module(audiorium_torch_module* m) { delete m; }

// Runs a forward call, turning any exception into the C ABI's error text and return code.
template <class Call>
int guarded_forward(char* err, size_t err_len, Call&& call) {
  try {
    torch::InferenceMode guard;
    return call();
  } catch (const std::exception& e) {
    put_error(err, err_len, "the tower failed: " + first_lines(e.what()));
  } catch (...) {
    put_error(err, err_len, "the tower failed (unknown error)");
  }
  return 1;
}

int forward_float(audiorium_torch_module* m, const float* data, const int64_t* shape, int ndim, float* out,
                  size_t out_len, int64_t out_shape[2], char* err, size_t err_len) {
  return guarded_forward(err, err_len, [&] {
    std::vector<int64_t> dims(shape, shape + ndim);
    auto input = torch::from_blob(const_cast<float*>(data), dims, torch::kFloat32);
    auto result = m->module.forward({input});
    return finish_output(result, out, out_len, out_shape, err, err_len);
  });
}

int forward_tokens(audiorium_torch_module* m, const int64_t* ids, const int64_t* mask, int64_t batch, int64_t length,
                   float* out, size_t out_len, int64_t out_shape[2], char* err, size_t err_len) {
  return guarded_forward(err, err_len, [&] {
    auto t_ids = torch::from_blob(const_cast<int64_t*>(ids), {batch, length}, torch::kInt64);
    auto t_mask = torch::from_blob(const_cast<int64_t*>(mask), {batch, length}, torch::kInt64);
    auto result = m->module.forward({t_ids, t_mask});
    return finish_output(result, out, out_len, out_shape, err, err_len);
  });
}

const audiorium_torch_api kApi{AUDIORIUM_TORCH_ABI_VERSION, TORCH_VERSION, set_threads, get_threads, load,
                               free_module, forward_float, forward_tokens};

}  // namespace

extern "C" __attribute__((visibility("default"))) const audiorium_torch_api* audiorium_torch_get_api(void) {
  return &kApi;
}
