package org.maesil.tornado;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.maesil.tensor.Backend;
import org.maesil.tensor.BackendCheck;
import org.maesil.tensor.Backends;
import org.maesil.tensor.DeviceInfo;
import org.maesil.tensor.JavaBackend;

/**
 * Every kernel, forward and backward, on every TornadoVM device against the Java backend
 * (BackendCheck's cases; relative error in the infinity norm at most 1e-5).
 */
class TornadoBackendTest {

    private static final List<TornadoBackend> OPEN = new ArrayList<>();

    private static TornadoBackend backend(DeviceInfo d) {
        TornadoBackend b = (TornadoBackend) Backends.create(d.spec(), 1);
        OPEN.add(b);
        return b;
    }

    @AfterAll
    static void closeAll() {
        OPEN.forEach(TornadoBackend::close);
    }

    @Test
    void providerIsFoundThroughServiceLoaderAndListsDevices() {
        List<DeviceInfo> devices = new TornadoBackendProvider().devices();
        assertThat(devices).isNotEmpty();
        assertThat(devices.get(0).spec()).startsWith("tornado:0:");
        try (Backend b = Backends.create("tornado", 1)) {
            assertThat(b).isInstanceOf(TornadoBackend.class);
            assertThat(b.name()).startsWith("tornado (");
        }
    }

    @Test
    void unknownDeviceIsAClearError() {
        assertThatThrownBy(() -> Backends.create("tornado:0:99", 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tornado device 0:99 does not exist");
        assertThatThrownBy(() -> Backends.create("tornado:gpu", 1))
                .hasMessageContaining("is not BACKEND:DEVICE");
    }

    @TestFactory
    Stream<DynamicTest> everyKernelOnEveryDeviceMatchesTheJavaBackend() {
        List<DynamicTest> tests = new ArrayList<>();
        try (JavaBackend java = new JavaBackend(2)) {
            for (DeviceInfo d : new TornadoBackendProvider().devices()) {
                TornadoBackend tornado = backend(d);
                for (BackendCheck.Case c : BackendCheck.cases()) {
                    Map<String, float[]> ref = c.prepare().run(java);
                    tests.add(DynamicTest.dynamicTest(c.name() + " on " + d.spec() + " (" + d.name() + ")", () -> {
                        Map<String, float[]> got = c.prepare().run(tornado);
                        double err = BackendCheck.maxRelativeError(got, ref);
                        System.out.printf("%-32s %-12s max rel error %.3g%n", c.name(), d.spec(), err);
                        assertThat(err).as(c.name() + " relative error").isLessThanOrEqualTo(BackendCheck.TOLERANCE);
                    }));
                }
            }
        }
        return tests.stream();
    }

    @Test
    void aPlanIsCompiledOncePerArraysAndShapeAndReusedWithNewScalars() {
        TornadoBackend t = backend(new TornadoBackendProvider().devices().get(0));
        int n = 64;
        float[] x = new float[n], y = new float[n], expected = new float[n];
        for (int i = 0; i < n; i++) x[i] = i;
        try (JavaBackend java = new JavaBackend(1)) {
            for (float alpha : new float[] {1f, -2f, 0.5f}) {
                t.axpy(alpha, x, y, n);
                java.axpy(alpha, x, expected, n);
                assertThat(y).containsExactly(expected);
            }
        }
        assertThat(t.compilations()).containsEntry("axpy", 1);
        // a different array is a different plan
        float[] y2 = new float[n];
        t.axpy(1f, x, y2, n);
        assertThat(t.compilations()).containsEntry("axpy", 2);
        assertThat(y2).containsExactly(x);
    }

    @Test
    void hostChangesToInputsAreSeenOnEveryCall() {
        TornadoBackend t = backend(new TornadoBackendProvider().devices().get(0));
        int n = 32;
        float[] a = new float[n], b = new float[n], y = new float[n];
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < n; i++) {
                a[i] = i * (round + 1);
                b[i] = round;
            }
            t.add(a, b, y, n);
            for (int i = 0; i < n; i++) assertThat(y[i]).isEqualTo(a[i] + b[i]);
        }
    }

    @Test
    void generatedCodeCanBeReadBack() {
        TornadoBackend t = backend(new TornadoBackendProvider().devices().get(0));
        t.drainGeneratedCode();
        float[] x = {1, -2, 3}, y = new float[3];
        t.scale(x, 2f, y, 3);
        assertThat(y).containsExactly(2f, -4f, 6f);
        String code = t.drainGeneratedCode();
        assertThat(code).contains("__kernel");
        assertThat(t.drainGeneratedCode()).isEmpty();
    }
}
