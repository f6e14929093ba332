// Histogram counts of one quarter's outputs in shared memory: the engine's summary mode on an
// NVIDIA GPU, called from XLA as an FFI custom call (built and registered by
// aicapex/sim/engine/kernels/__init__.py).
//
// values (R, N) float32 -> counts (R, bins + 2) int32: row r's finite values among its first
// n_valid[r] land in cell floor((x - lo[r]) * scale[r]) clipped to [-1, bins], plus one (cell 0
// and bins + 1 are the outer bins): the same arithmetic as the engine's XLA binning, so the
// counts are exactly equal (tested). A block counts a slice of one row into `replicas`
// histograms in its shared memory (its warps share them evenly) and adds their nonzero cells
// to the row's counts in global memory at the end: global atomic adds per block are at most bins + 2, not one per
// value, which is what bounds XLA's scatter-add (~40 G random atomic adds/s on an H100).

#include <cstdint>
#include <string>

#include <cuda_runtime.h>

#include "xla/ffi/api/ffi.h"

namespace ffi = xla::ffi;

namespace {

constexpr int kThreads = 256;
constexpr int kMaxReplicas = kThreads / 32;

__device__ __forceinline__ int cell_of(float x, float lo, float scale, int bins) {
  // __f*_rn: no contraction into a fused multiply-add, as in XLA's (x - lo) * scale
  float f = floorf(__fmul_rn(__fsub_rn(x, lo), scale));
  f = fminf(fmaxf(f, -1.0f), static_cast<float>(bins));
  return static_cast<int>(f) + 1;
}

__device__ __forceinline__ void add_one(int32_t* hist, float x, float lo, float scale, int bins,
                                        bool aggregate) {
  const bool keep = isfinite(x);
  if (aggregate) {  // lanes of a warp that hit one cell add once, by their leader
    const unsigned active = __activemask();
    const int cell = keep ? cell_of(x, lo, scale, bins) : -1;
    const unsigned peers = __match_any_sync(active, cell);
    if (keep && (threadIdx.x & 31) == __ffs(peers) - 1) atomicAdd(hist + cell, __popc(peers));
  } else if (keep) {
    atomicAdd(hist + cell_of(x, lo, scale, bins), 1);
  }
}

__global__ void __launch_bounds__(kThreads)
count_cells(const float* __restrict__ values, const float* __restrict__ lo,
            const float* __restrict__ scale, const int32_t* __restrict__ n_valid, int64_t n,
            int bins, int replicas, int parts, bool aggregate, int32_t* __restrict__ counts) {
  extern __shared__ int32_t hist[];
  const int cells = bins + 2;
  const int64_t row = blockIdx.x / parts;
  const int64_t part = blockIdx.x % parts;
  for (int i = threadIdx.x; i < replicas * cells; i += blockDim.x) hist[i] = 0;
  __syncthreads();

  int32_t* mine = hist + (threadIdx.x / 32 % replicas) * cells;
  const float l = lo[row], s = scale[row];
  const int64_t valid = n_valid[row] < 0 ? 0 : (n_valid[row] > n ? n : n_valid[row]);
  const int64_t per = ((n + parts - 1) / parts + 3) / 4 * 4;  // whole float4s per block
  const int64_t begin = part * per;
  const int64_t end = begin + per < valid ? begin + per : valid;
  const float* x = values + row * n;
  if (n % 4 == 0) {  // rows start 16-byte aligned: vector loads
    for (int64_t j = begin + 4 * threadIdx.x; j < end; j += 4 * blockDim.x) {
      const float4 q = *reinterpret_cast<const float4*>(x + j);
      add_one(mine, q.x, l, s, bins, aggregate);
      if (j + 1 < end) add_one(mine, q.y, l, s, bins, aggregate);
      if (j + 2 < end) add_one(mine, q.z, l, s, bins, aggregate);
      if (j + 3 < end) add_one(mine, q.w, l, s, bins, aggregate);
    }
  } else {
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x)
      add_one(mine, x[j], l, s, bins, aggregate);
  }
  __syncthreads();

  int32_t* out = counts + row * cells;
  for (int c = threadIdx.x; c < cells; c += blockDim.x) {
    int32_t total = 0;
    for (int r = 0; r < replicas; ++r) total += hist[r * cells + c];
    if (total) atomicAdd(out + c, total);
  }
}

ffi::Error count(cudaStream_t stream, ffi::Buffer<ffi::F32> values, ffi::Buffer<ffi::F32> lo,
                 ffi::Buffer<ffi::F32> scale, ffi::Buffer<ffi::S32> n_valid,
                 ffi::ResultBuffer<ffi::S32> counts, int32_t replicas, int32_t parts,
                 int32_t aggregate) {
  const auto dims = values.dimensions();
  const auto out_dims = counts->dimensions();
  if (dims.size() < 1 || out_dims.size() < 1 || out_dims.back() < 3)
    return ffi::Error::InvalidArgument("values must be (..., N) and counts (..., bins + 2)");
  const int64_t n = dims.back();
  const int64_t rows = n == 0 ? 0 : static_cast<int64_t>(values.element_count()) / n;
  const int64_t cells = out_dims.back();
  if (static_cast<int64_t>(lo.element_count()) != rows ||
      static_cast<int64_t>(scale.element_count()) != rows ||
      static_cast<int64_t>(n_valid.element_count()) != rows ||
      static_cast<int64_t>(counts->element_count()) != rows * cells)
    return ffi::Error::InvalidArgument(
        "lo, scale and n_valid need one element per row of values, counts one row of bins + 2 "
        "per row");
  if (replicas < 1 || replicas > kMaxReplicas)
    return ffi::Error::InvalidArgument("replicas must be 1.." + std::to_string(kMaxReplicas));

  cudaError_t err = cudaMemsetAsync(counts->typed_data(), 0, counts->size_bytes(), stream);
  if (err != cudaSuccess) return ffi::Error::Internal(cudaGetErrorString(err));
  if (rows == 0) return ffi::Error::Success();

  const size_t smem = sizeof(int32_t) * replicas * cells;
  if (parts < 1) {  // enough blocks for every multiprocessor, each with >= 16 values a thread
    int device = 0, sms = 0;
    cudaGetDevice(&device);
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    const int64_t want = (4 * static_cast<int64_t>(sms) + rows - 1) / rows;
    const int64_t most = n / (16 * kThreads) > 1 ? n / (16 * kThreads) : 1;
    parts = static_cast<int32_t>(want < most ? want : most);
  }
  if (smem > 48 * 1024) {
    err = cudaFuncSetAttribute(count_cells, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(smem));
    if (err != cudaSuccess) return ffi::Error::Internal(cudaGetErrorString(err));
  }
  count_cells<<<static_cast<unsigned>(rows * parts), kThreads, smem, stream>>>(
      values.typed_data(), lo.typed_data(), scale.typed_data(), n_valid.typed_data(), n,
      static_cast<int>(cells - 2), replicas, parts, aggregate != 0, counts->typed_data());
  err = cudaGetLastError();
  if (err != cudaSuccess) return ffi::Error::Internal(cudaGetErrorString(err));
  return ffi::Error::Success();
}

}  // namespace

#define AICAPEX_COUNT_BINDING                      \
  ffi::Ffi::Bind()                                 \
      .Ctx<ffi::PlatformStream<cudaStream_t>>()    \
      .Arg<ffi::Buffer<ffi::F32>>()                \
      .Arg<ffi::Buffer<ffi::F32>>()                \
      .Arg<ffi::Buffer<ffi::F32>>()                \
      .Arg<ffi::Buffer<ffi::S32>>()                \
      .Ret<ffi::Buffer<ffi::S32>>()                \
      .Attr<int32_t>("replicas")                   \
      .Attr<int32_t>("parts")                      \
      .Attr<int32_t>("aggregate")

XLA_FFI_DEFINE_HANDLER_SYMBOL(AicapexCountCells, count, AICAPEX_COUNT_BINDING);
// The same, marked safe for XLA to record into a CUDA graph (it only enqueues on its stream).
XLA_FFI_DEFINE_HANDLER_SYMBOL(AicapexCountCellsGraph, count, AICAPEX_COUNT_BINDING,
                              {ffi::Traits::kCmdBufferCompatible});
