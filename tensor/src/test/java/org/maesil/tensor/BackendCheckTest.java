package org.maesil.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The cases that the tornado tests and `maesil portability` compare backends with. */
class BackendCheckTest {

    @Test
    void relativeErrorIsTheInfinityNormRatio() {
        assertThat(BackendCheck.relativeError(new float[] {1, 2, -4}, new float[] {1, 2, -4})).isZero();
        assertThat(BackendCheck.relativeError(new float[] {1, 2.5f, -4}, new float[] {1, 2, -4})).isEqualTo(0.5 / 4);
        assertThat(BackendCheck.relativeError(new float[] {0, 0}, new float[] {0, 0})).isZero();
        assertThat(BackendCheck.relativeError(new float[] {1e-9f, 0}, new float[] {0, 0})).isInfinite();
        assertThat(BackendCheck.relativeError(new float[] {Float.NaN}, new float[] {1})).isNaN();
        assertThat(BackendCheck.relativeError(new float[] {1}, new float[] {1, 2})).isInfinite();
        assertThat(BackendCheck.maxRelativeError(Map.of("a", new float[] {1}), Map.of("a", new float[] {1}, "b", new float[] {1})))
                .isInfinite();
    }

    @Test
    void everyCaseRunsOnTheJavaBackendWithNonTrivialOutputsIndependentOfThreadsAndRepeats() {
        Set<String> names = new HashSet<>();
        try (JavaBackend one = new JavaBackend(1); JavaBackend two = new JavaBackend(2)) {
            for (BackendCheck.Case c : BackendCheck.cases()) {
                assertThat(names.add(c.name())).as("unique name " + c.name()).isTrue();
                assertThat(c.kernels()).isNotEmpty();
                BackendCheck.Instance inst = c.prepare();
                Map<String, float[]> a = inst.run(one);
                Map<String, float[]> again = inst.run(one);       // in-place arrays are restored
                Map<String, float[]> b = c.prepare().run(two);    // same seed, other thread count
                assertThat(BackendCheck.maxRelativeError(again, a)).as(c.name() + " repeat").isZero();
                assertThat(BackendCheck.maxRelativeError(b, a)).as(c.name() + " threads").isZero();
                for (var e : a.entrySet()) {
                    boolean nonZero = false;
                    for (float v : e.getValue()) {
                        assertThat(Float.isFinite(v)).as(c.name() + " " + e.getKey() + " finite").isTrue();
                        nonZero |= v != 0;
                    }
                    assertThat(nonZero).as(c.name() + " " + e.getKey() + " not all zero").isTrue();
                }
            }
        }
        // every Backend operation is covered by some case
        Set<String> ops = new HashSet<>();
        for (BackendCheck.Case c : BackendCheck.cases()) for (String op : c.op().split(",\\s*")) ops.add(op);
        for (var m : Backend.class.getMethods()) {
            if (m.getName().equals("name") || m.getName().equals("close")) continue;
            assertThat(ops).as("a BackendCheck case calls Backend." + m.getName()).contains(m.getName());
        }
    }
}
