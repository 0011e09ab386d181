/* The kernel dialect for OpenCL C 1.2: the .kern files use only these macros and types (see KERNELS.md). */
#ifndef POCKET_DIALECT_OPENCL_H
#define POCKET_DIALECT_OPENCL_H

#define KERNEL __kernel
#define GLOBAL __global
#define LOCAL __local
#define INLINE inline
#define LOCAL_ARRAY(type, name, n) __local type name[n]

#define GROUP_ID_X ((int) get_group_id(0))
#define GROUP_ID_Y ((int) get_group_id(1))
#define LOCAL_ID_X ((int) get_local_id(0))
#define LOCAL_ID_Y ((int) get_local_id(1))
#define LOCAL_SIZE_X ((int) get_local_size(0))
#define LOCAL_SIZE_Y ((int) get_local_size(1))
#define NUM_GROUPS_X ((int) get_num_groups(0))
#define NUM_GROUPS_Y ((int) get_num_groups(1))
#define BARRIER() barrier(CLK_LOCAL_MEM_FENCE)

/* fp16 storage: vload_half / vstore_half (round to nearest even) need no cl_khr_fp16. */
#define HALF half
#define LOAD_HALF(p, i) vload_half((i), (p))
#define STORE_HALF(p, i, v) vstore_half_rte((v), (i), (p))

/* bf16 storage: the high 16 bits of an F32; stores round to nearest even and keep NaN quiet (ggml). */
#define LOAD_BF16(p, i) as_float(((uint) (p)[i]) << 16)
INLINE ushort pocket_float_to_bf16(float v) {
    uint u = as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort) ((u >> 16) | 64u);
    return (ushort) ((u + (0x7fffu + ((u >> 16) & 1u))) >> 16);
}
#define STORE_BF16(p, i, v) ((p)[i] = pocket_float_to_bf16(v))

#define EXPF(x) exp(x)
#define LOGF(x) log(x)
#define SQRTF(x) sqrt(x)
#define RSQRTF(x) rsqrt(x)
#define POWF(x, y) pow((x), (y))
#define SINF(x) sin(x)
#define COSF(x) cos(x)
#define FABSF(x) fabs(x)
#define FMAXF(x, y) fmax((x), (y))
#define FMINF(x, y) fmin((x), (y))
#define INFINITY_F INFINITY

#endif
