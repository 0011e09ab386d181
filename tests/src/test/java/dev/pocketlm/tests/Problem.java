package dev.pocketlm.tests;

/** A case with its host inputs drawn: runs the op on one backend and returns the output values. */
@FunctionalInterface
public interface Problem {
    float[] run(DeviceRun run);
}
