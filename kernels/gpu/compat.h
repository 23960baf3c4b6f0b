/* kernels/gpu/compat.h — one kernel dialect (HIP) for two toolchains.
 *
 * Owns: the names the kernels and the launcher use for the GPU runtime and
 * device intrinsics. Under hipcc the HIP names are native; under nvcc they are
 * mapped to CUDA (the direction is the reverse of ggml's vendors/hip.h). Also
 * the compile-time warp size: 64 on GCN/CDNA, 32 on RDNA (HIP default) and
 * NVIDIA. Kernels never write a literal 32 for the warp width.
 * Must not know: nodes, routes, planners.
 */
#ifndef FASV_GPU_COMPAT_H
#define FASV_GPU_COMPAT_H

#if defined(__HIPCC__) || defined(__HIP_PLATFORM_AMD__) || defined(__HIP__)
#define FASV_HIP 1
#include <hip/hip_fp16.h>
#include <hip/hip_runtime.h>
/* hip-clang defines __AMDGCN_WAVEFRONT_SIZE per offload architecture in the
 * device passes; the host pass never uses the value for code generation. */
#if defined(__AMDGCN_WAVEFRONT_SIZE)
#define FA_WARP_SIZE __AMDGCN_WAVEFRONT_SIZE
#else
#define FA_WARP_SIZE 64
#endif
#define FA_FULL_MASK 0
static __device__ __forceinline__ float fa_shfl_xor(float v, int m) { return __shfl_xor(v, m, FA_WARP_SIZE); }
static __device__ __forceinline__ float fa_shfl(float v, int src) { return __shfl(v, src, FA_WARP_SIZE); }
/* Order shared-memory accesses among the lanes of one wavefront (which run in
 * lockstep and issue LDS operations in order): a fence at wavefront scope
 * and a scheduling barrier. */
static __device__ __forceinline__ void fa_syncwarp(void) {
    __builtin_amdgcn_fence(__ATOMIC_SEQ_CST, "wavefront");
    __builtin_amdgcn_wave_barrier();
}

#elif defined(__CUDACC__)
#define FASV_CUDA 1
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#define FA_WARP_SIZE 32
static __device__ __forceinline__ float fa_shfl_xor(float v, int m) {
    return __shfl_xor_sync(0xffffffffu, v, m, FA_WARP_SIZE);
}
static __device__ __forceinline__ float fa_shfl(float v, int src) { return __shfl_sync(0xffffffffu, v, src, FA_WARP_SIZE); }
static __device__ __forceinline__ void fa_syncwarp(void) { __syncwarp(); }

/* runtime API: HIP names -> CUDA names */
#define hipError_t cudaError_t
#define hipSuccess cudaSuccess
#define hipErrorNotReady cudaErrorNotReady
#define hipErrorNoDevice cudaErrorNoDevice
#define hipErrorMemoryAllocation cudaErrorMemoryAllocation
#define hipGetErrorString cudaGetErrorString
#define hipGetErrorName cudaGetErrorName
#define hipGetLastError cudaGetLastError
#define hipGetDeviceCount cudaGetDeviceCount
#define hipSetDevice cudaSetDevice
#define hipDeviceProp_t cudaDeviceProp
#define hipGetDeviceProperties cudaGetDeviceProperties
#define hipDeviceSynchronize cudaDeviceSynchronize
#define hipDeviceReset cudaDeviceReset
#define hipMalloc cudaMalloc
#define hipFree cudaFree
#define hipMemcpy cudaMemcpy
#define hipMemset cudaMemset
#define hipMemcpyAsync cudaMemcpyAsync
#define hipMemcpyDeviceToDevice cudaMemcpyDeviceToDevice
#define hipMemcpyHostToDevice cudaMemcpyHostToDevice
#define hipMemcpyDeviceToHost cudaMemcpyDeviceToHost
#define hipMemGetInfo cudaMemGetInfo
#define hipEvent_t cudaEvent_t
#define hipEventCreate cudaEventCreate
#define hipEventDestroy cudaEventDestroy
#define hipEventRecord cudaEventRecord
#define hipEventQuery cudaEventQuery
#define hipEventSynchronize cudaEventSynchronize
#define hipEventElapsedTime cudaEventElapsedTime
#define hipFuncSetAttribute cudaFuncSetAttribute
#define hipFuncAttributeMaxDynamicSharedMemorySize cudaFuncAttributeMaxDynamicSharedMemorySize
#define hipDriverGetVersion cudaDriverGetVersion
#define hipRuntimeGetVersion cudaRuntimeGetVersion
#define hipLaunchKernelGGL(k, grid, block, smem, stream, ...) k<<<(grid), (block), (smem), (stream)>>>(__VA_ARGS__)

#else
#error "kernels/gpu/compat.h needs hipcc or nvcc"
#endif

#endif
