/* CUDA-only quantized matvec for up to DP4A_MAX_ROWS (8) activation rows (llama.cpp's MMVQ scheme), compiled after the shared kernels
   (it uses their dialect and block constants). Activations are first quantized to int8 blocks of 32 with scale d
   and s = d * sum(q) (s absorbs Q4_0's -8 offset); then one warp per weight row takes whole blocks per lane,
   __dp4a int8 dot products, and a warp-shuffle sum. Weights keep ggml's 2-byte-aligned layout (2-byte loads). */

#define WARP 32
#define DP4A_MAX_ROWS 8
#define DP4A_WARPS_PER_GROUP 4

__device__ inline float warp_sum(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ inline float warp_max(float v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

__device__ inline int warp_isum(int v) {
    for (int o = WARP / 2; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

/* 4 bytes at a 2-byte-aligned address (inside an 18- or 34-byte block) as one int, little-endian. */
__device__ inline int load_int_aligned2(const uchar* p) {
    const ushort* h = (const ushort*) p;
    return (int) ((uint) h[0] | ((uint) h[1] << 16));
}

/* x [blocks * 32] F32 -> xq int8 (same indices), xd[b] = d, xs[b] = d * sum(q) per block of 32.
   One warp per block, one lane per value. Local 256, groups ceil(blocks / 8). */
KERNEL void quantize_q8_blocks(const float* x, long xOff, signed char* xq, long xqOff, float* xd, long xdOff,
                               float* xs, long xsOff, int blocks) {
    int lane = LOCAL_ID_X % WARP, warps = NUM_GROUPS_X * LOCAL_SIZE_X / WARP;
    for (int b = (GROUP_ID_X * LOCAL_SIZE_X + LOCAL_ID_X) / WARP; b < blocks; b += warps) {
        float v = x[xOff + (long) b * QK + lane];
        float amax = warp_max(fabsf(v));
        float d = amax / 127.0f;
        int q = amax == 0.0f ? 0 : __float2int_rn(v / d);
        int sum = warp_isum(q);
        xq[xqOff + (long) b * QK + lane] = (signed char) q;
        if (lane == 0) {
            xd[xdOff + b] = d;
            xs[xsOff + b] = d * (float) sum;
        }
    }
}

/* Reduces each activation row's per-lane partial sums across the warp; lane 0 writes y[m, row]. */
__device__ inline void store_row_sums(const float* acc, int M, int N, int row, int lane, float* y, long yOff) {
#pragma unroll
    for (int m = 0; m < DP4A_MAX_ROWS; m++) {
        if (m < M) {
            float total = warp_sum(acc[m]);
            if (lane == 0) y[yOff + (long) m * N + row] = total;
        }
    }
}

/* y[m, n] = dot(w row n, x row m), m < M <= DP4A_MAX_ROWS, w a blockQ8_0 [N, K]. Local 128 (4 rows), groups ceil(N / 4). */
KERNEL void matvec_q8_0_dp4a(const uchar* w, long wOff, const signed char* xq, long xqOff, const float* xd, long xdOff,
                             float* y, long yOff, int M, int N, int K) {
    int row = GROUP_ID_X * (LOCAL_SIZE_X / WARP) + LOCAL_ID_X / WARP, lane = LOCAL_ID_X % WARP;
    if (row >= N) return; /* uniform per warp */
    int blocks = K / QK;
    const uchar* wr = w + wOff + (long) row * blocks * BLOCK_Q8_0_BYTES;
    float acc[DP4A_MAX_ROWS] = {0.0f};
    for (int b = lane; b < blocks; b += WARP) {
        const uchar* block = wr + (long) b * BLOCK_Q8_0_BYTES;
        float dw = block_scale(block);
        int wq[8];
#pragma unroll
        for (int i = 0; i < 8; i++) wq[i] = load_int_aligned2(block + 2 + 4 * i);
#pragma unroll
        for (int m = 0; m < DP4A_MAX_ROWS; m++) {
            if (m < M) {
                const int* xb = (const int*) (xq + xqOff + (long) m * K + (long) b * QK);
                int s = 0;
#pragma unroll
                for (int i = 0; i < 8; i++) s = __dp4a(wq[i], xb[i], s);
                acc[m] += dw * xd[xdOff + (long) m * blocks + b] * (float) s;
            }
        }
    }
    store_row_sums(acc, M, N, row, lane, y, yOff);
}

/* As matvec_q8_0_dp4a for a blockQ4_0 weight: sum (q - 8) dw * qx dx = dw (dx * sum(q qx) - 8 s). */
KERNEL void matvec_q4_0_dp4a(const uchar* w, long wOff, const signed char* xq, long xqOff, const float* xd, long xdOff,
                             const float* xs, long xsOff, float* y, long yOff, int M, int N, int K) {
    int row = GROUP_ID_X * (LOCAL_SIZE_X / WARP) + LOCAL_ID_X / WARP, lane = LOCAL_ID_X % WARP;
    if (row >= N) return; /* uniform per warp */
    int blocks = K / QK;
    const uchar* wr = w + wOff + (long) row * blocks * BLOCK_Q4_0_BYTES;
    float acc[DP4A_MAX_ROWS] = {0.0f};
    for (int b = lane; b < blocks; b += WARP) {
        const uchar* block = wr + (long) b * BLOCK_Q4_0_BYTES;
        float dw = block_scale(block);
        int lo[4], hi[4]; /* elements 4i..4i+3 in the low nibbles, 16+4i.. in the high ones */
#pragma unroll
        for (int i = 0; i < 4; i++) {
            int v = load_int_aligned2(block + 2 + 4 * i);
            lo[i] = v & 0x0F0F0F0F;
            hi[i] = (v >> 4) & 0x0F0F0F0F;
        }
#pragma unroll
        for (int m = 0; m < DP4A_MAX_ROWS; m++) {
            if (m < M) {
                const int* xb = (const int*) (xq + xqOff + (long) m * K + (long) b * QK);
                int s = 0;
#pragma unroll
                for (int i = 0; i < 4; i++) s = __dp4a(hi[i], xb[i + 4], __dp4a(lo[i], xb[i], s));
                long at = (long) m * blocks + b;
                acc[m] += dw * (xd[xdOff + at] * (float) s - 8.0f * xs[xsOff + at]);
            }
        }
    }
    store_row_sums(acc, M, N, row, lane, y, yOff);
}
