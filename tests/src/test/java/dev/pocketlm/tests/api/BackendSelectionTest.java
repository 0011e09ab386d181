package dev.pocketlm.tests.api;

import dev.pocketlm.tensor.Backends;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Selection precedence (argument over system property over environment and files) and its errors. */
class BackendSelectionTest {

    @AfterEach
    void clear() {
        System.clearProperty(Backends.PROPERTY);
    }

    @Test
    void anArgumentBeatsTheSystemProperty() {
        System.setProperty(Backends.PROPERTY, "cpu:reference");
        assertEquals("cpu:reference", Backends.select(null).spec());
        assertTrue(Backends.select(null).reason().contains("system property"));
        Backends.Selection s = Backends.select("cpu");
        assertEquals("cpu", s.spec());
        assertTrue(s.reason().contains("--backend"), s.reason());
    }

    @Test
    void withNothingNamedTheBestAvailableIsChosen() {
        if (System.getenv(Backends.ENV) != null) return;
        Backends.Selection s = Backends.select(null);
        assertTrue(s.reason().startsWith("best available"), s.reason());
        int best = Backends.candidates().stream().filter(c -> c.probe().available()).mapToInt(c -> c.provider().score()).max().orElseThrow();
        assertEquals(best, s.provider().score());
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.select("tpu"));
        assertTrue(e.getMessage().contains("unknown backend 'tpu'") && e.getMessage().contains("cpu"), e.getMessage());
    }

    @Test
    void aNamedBackendThatCannotStartFailsWithItsReason() {
        Backends.candidates().stream().filter(c -> !c.probe().available()).findFirst().ifPresent(c -> {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.select(c.provider().name()));
            assertTrue(e.getMessage().contains("cannot start") && e.getMessage().contains(c.probe().reason()), e.getMessage());
        });
    }

    @Test
    void theReferencePathStaysSelectable() {
        try (var be = Backends.open("cpu:reference")) {
            assertEquals("cpu:reference", be.name());
        }
    }
}
