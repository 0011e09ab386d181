package dev.pocketlm.cuda;

import jcuda.driver.CUresult;

/** Turns CUDA driver result codes into exceptions that name the call. */
final class CudaCheck {
    private CudaCheck() {}

    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new IllegalStateException("cuda: " + call + " failed: " + CUresult.stringFor(result));
        }
    }
}
