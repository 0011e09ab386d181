package dev.pocketlm.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reverse-mode autograd: while a tape is recording on this thread, every differentiable op in {@link Ops} whose
 * inputs require gradients is appended with its backward rule. {@link #backward} walks the tape in reverse from a
 * scalar loss and accumulates into {@link Tensor#grad()} of each leaf ({@link Tensor#requireGrad()}), so
 * gradients of several backward calls add up until {@link Tensor#zeroGrad()}.
 */
public final class Tape implements AutoCloseable {
    private static final ThreadLocal<Deque<Tape>> ACTIVE = ThreadLocal.withInitial(ArrayDeque::new);
    private static final ThreadLocal<Integer> NO_GRAD = ThreadLocal.withInitial(() -> 0);

    /** The gradient of one recorded op: given dOut, add each input's gradient with {@link Gradients#add}. */
    @FunctionalInterface
    interface Rule {
        void apply(Tensor dOut, Gradients grads);
    }

    private record Entry(Tensor output, Rule rule) {}

    private final List<Entry> entries = new ArrayList<>();
    private boolean closed;

    private Tape() {}

    /** Starts recording on this thread until {@link #close()}. */
    public static Tape record() {
        Tape t = new Tape();
        ACTIVE.get().push(t);
        return t;
    }

    /** Suspends recording on this thread (inference, frozen teachers) until the returned handle closes. */
    public static NoGrad noGrad() {
        NO_GRAD.set(NO_GRAD.get() + 1);
        return new NoGrad();
    }

    /** Closing it resumes recording. */
    public static final class NoGrad implements AutoCloseable {
        private boolean closed;

        private NoGrad() {}

        @Override public void close() {
            if (closed) return;
            closed = true;
            NO_GRAD.set(NO_GRAD.get() - 1);
        }
    }

    static boolean tracks(Tensor... inputs) {
        if (ACTIVE.get().isEmpty() || NO_GRAD.get() > 0) return false;
        for (Tensor t : inputs) if (t != null && t.requiresGrad) return true;
        return false;
    }

    /** Records {@code output} as produced by a differentiable op; callers checked {@link #tracks} first. */
    static void append(Tensor output, Rule rule) {
        output.requiresGrad = true;
        ACTIVE.get().peek().entries.add(new Entry(output, rule));
    }

    public int size() { return entries.size(); }

    /** Back-propagates from a one-element loss, accumulating leaf gradients. */
    public void backward(Tensor loss) {
        if (loss.size() != 1) throw new IllegalArgumentException("backward: the loss must have one element, got " + loss.describe());
        if (!loss.requiresGrad) throw new IllegalArgumentException("backward: the loss does not depend on any tensor that requires gradients");
        try (NoGrad ignored = noGrad(); Scope scope = Scope.open()) {
            Gradients grads = new Gradients();
            grads.add(loss, loss.backend().filled(DType.F32, 1f, loss.shape().dims()));
            for (int i = entries.size() - 1; i >= 0; i--) {
                Entry e = entries.get(i);
                Tensor g = grads.pending.remove(e.output);
                if (g != null) e.rule.apply(g, grads);
            }
        }
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Deque<Tape> stack = ACTIVE.get();
        stack.remove(this);
        entries.clear();
    }

    /** Gradients flowing backward: intermediates live in the backward scope, leaves accumulate into their grad. */
    static final class Gradients {
        final Map<Tensor, Tensor> pending = new IdentityHashMap<>();

        void add(Tensor input, Tensor grad) {
            if (!input.requiresGrad) return;
            if (!grad.shape().equals(input.shape())) {
                throw new IllegalStateException("backward produced gradient " + grad.describe() + " for " + input.describe());
            }
            if (input.leaf) {
                if (input.grad == null) {
                    input.grad = input.backend().empty(DType.F32, input.shape());
                    Scope.unregister(input.grad);
                    input.backend().kernels().copy(grad, input.grad);
                } else {
                    input.backend().kernels().add(input.grad, grad, input.grad);
                }
                return;
            }
            Tensor prev = pending.get(input);
            if (prev == null) {
                pending.put(input, grad);
            } else {
                Tensor sum = input.backend().empty(DType.F32, input.shape());
                input.backend().kernels().add(prev, grad, sum);
                pending.put(input, sum);
            }
        }
    }
}
