package dev.pocketlm.tests;

import dev.pocketlm.tensor.Backend;
import dev.pocketlm.tensor.Scope;

import java.util.List;

/** What running a problem on one backend gave: its output, an unsupported op, or an error. */
public sealed interface Execution {

    record Ran(float[] output, List<String> guardViolations) implements Execution {}

    record Unsupported(String message) implements Execution {}

    record Crashed(String message) implements Execution {}

    /** Runs the problem on {@code backend} and frees everything it allocated. */
    static Execution run(Backend backend, Problem problem) {
        try (Scope ignored = backend.scope()) {
            DeviceRun run = new DeviceRun(backend);
            float[] out = problem.run(run);
            return new Ran(out, run.guardViolations());
        } catch (UnsupportedOperationException e) {
            return new Unsupported(String.valueOf(e.getMessage()));
        } catch (RuntimeException | LinkageError e) {
            return new Crashed(e.toString());
        }
    }
}
