/* The kernel dialect for CUDA C (nvcc): the .kern files use only these macros and types (see KERNELS.md). */
#ifndef POCKET_DIALECT_CUDA_H
#define POCKET_DIALECT_CUDA_H

#include <cuda_fp16.h>

typedef unsigned char uchar;
typedef unsigned short ushort;
typedef unsigned int uint;

#define KERNEL extern "C" __global__
#define GLOBAL
#define LOCAL
#define INLINE __device__ inline
#define LOCAL_ARRAY(type, name, n) __shared__ type name[n]

#define GROUP_ID_X ((int) blockIdx.x)
#define GROUP_ID_Y ((int) blockIdx.y)
#define LOCAL_ID_X ((int) threadIdx.x)
#define LOCAL_ID_Y ((int) threadIdx.y)
#define LOCAL_SIZE_X ((int) blockDim.x)
#define LOCAL_SIZE_Y ((int) blockDim.y)
#define NUM_GROUPS_X ((int) gridDim.x)
#define NUM_GROUPS_Y ((int) gridDim.y)
#define BARRIER() __syncthreads()

/* fp16 storage: conversions only, stores round to nearest even. */
#define HALF __half
#define LOAD_HALF(p, i) __half2float((p)[i])
#define STORE_HALF(p, i, v) ((p)[i] = __float2half_rn(v))

/* bf16 storage: the high 16 bits of an F32; stores round to nearest even and keep NaN quiet (ggml). */
#define LOAD_BF16(p, i) __uint_as_float(((uint) (p)[i]) << 16)
INLINE ushort pocket_float_to_bf16(float v) {
    uint u = __float_as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort) ((u >> 16) | 64u);
    return (ushort) ((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}
#define STORE_BF16(p, i, v) ((p)[i] = pocket_float_to_bf16(v))

/* Full-precision functions (not the __expf intrinsics) so results track the CPU reference. */
#define EXPF(x) expf(x)
#define LOGF(x) logf(x)
#define SQRTF(x) sqrtf(x)
#define RSQRTF(x) rsqrtf(x)
#define POWF(x, y) powf((x), (y))
#define SINF(x) sinf(x)
#define COSF(x) cosf(x)
#define FABSF(x) fabsf(x)
#define FMAXF(x, y) fmaxf((x), (y))
#define FMINF(x, y) fminf((x), (y))
#define INFINITY_F __int_as_float(0x7f800000)

#endif
