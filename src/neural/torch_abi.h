// The C interface between the audiorium binary and its libtorch plugin (libaudiorium_torch.so).
//
// Linking libtorch costs ~0.75 s and ~160 MB at process start, so the main binary never links it: the
// pack runtime (src/packembed/runtime.h) dlopen()s the plugin the first time a model pack is used and asks it
// for this table with audiorium_torch_get_api(). Plain C types only, so the plugin (C++17, torch's flags)
// and the binary (C++20) share no C++ ABI.
#pragma once

#include <stddef.h>
#include <stdint.h>

#define AUDIORIUM_TORCH_ABI_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

typedef struct audiorium_torch_module audiorium_torch_module;

// Every call that can fail returns 0 on success, else non-zero with a NUL-terminated message in
// err[0..err_len) (truncated when longer). No C++ exception crosses this interface.
typedef struct audiorium_torch_api {
  int abi_version;            // AUDIORIUM_TORCH_ABI_VERSION of the plugin
  const char* torch_version;  // e.g. "1.13.1"

  // Intra-op threads for every module of this process (torch::set_num_threads); n <= 0 leaves it as is.
  void (*set_threads)(int n);
  int (*get_threads)(void);

  // torch::jit::load + eval(). NULL on failure (missing/corrupt file, unsupported operator, …).
  audiorium_torch_module* (*load)(const char* path, char* err, size_t err_len);
  void (*free_module)(audiorium_torch_module* module);

  // forward(float32 tensor of `shape`) under torch::InferenceMode. The result must be a float 2-D tensor
  // [B, D] (or a tuple whose first element is one); it is written row-major to out (capacity out_len
  // floats) and its shape to out_shape. A wrong shape or too small a buffer is an error naming the shape.
  int (*forward_float)(audiorium_torch_module* module, const float* data, const int64_t* shape, int ndim,
                       float* out, size_t out_len, int64_t out_shape[2], char* err, size_t err_len);
  // forward(int64 ids [B, L], int64 attention_mask [B, L]), same output rules.
  int (*forward_tokens)(audiorium_torch_module* module, const int64_t* ids, const int64_t* mask, int64_t batch,
                        int64_t length, float* out, size_t out_len, int64_t out_shape[2], char* err, size_t err_len);
} audiorium_torch_api;

// The one exported symbol of the plugin.
const audiorium_torch_api* audiorium_torch_get_api(void);
typedef const audiorium_torch_api* (*audiorium_torch_get_api_fn)(void);

#ifdef __cplusplus
}
#endif
