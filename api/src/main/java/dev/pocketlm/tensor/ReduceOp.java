package dev.pocketlm.tensor;

public enum ReduceOp { SUM, MEAN, MAX }
