package dev.pocketlm.tensor;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Frees every tensor allocated on this thread while it is the innermost open scope.
 * {@link #keep} hands a tensor out of the scope (to the enclosing scope, or to the caller when none).
 */
public final class Scope implements AutoCloseable {
    private static final ThreadLocal<Deque<Scope>> OPEN = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private boolean closed;

    private Scope() {}

    public static Scope open() {
        Scope s = new Scope();
        OPEN.get().push(s);
        return s;
    }

    static void register(Tensor t) {
        Scope s = OPEN.get().peek();
        if (s != null) s.owned.add(t);
    }

    /** Removes {@code t} from whichever open scope holds it (it then lives until closed by hand). */
    static void unregister(Tensor t) {
        for (Scope s : OPEN.get()) s.owned.remove(t);
    }

    /** Moves {@code t} out of this scope so closing it does not free {@code t}; returns {@code t}. */
    public Tensor keep(Tensor t) {
        if (owned.remove(t)) {
            Deque<Scope> stack = OPEN.get();
            var it = stack.iterator();
            while (it.hasNext()) {
                if (it.next() == this && it.hasNext()) {
                    it.next().owned.add(t);
                    break;
                }
            }
        }
        return t;
    }

    @Override public void close() {
        if (closed) return;
        closed = true;
        Deque<Scope> stack = OPEN.get();
        if (stack.peek() != this) throw new IllegalStateException("scopes must close innermost first");
        stack.pop();
        for (Tensor t : owned) t.close();
        owned.clear();
    }
}
