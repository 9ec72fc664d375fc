package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.reflect.Proxy;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * Buffers are allocated on the first call, reused for the same shape, replaced when it changes.
 * The layers' own allocation is measured with a backend whose kernels do nothing (so that
 * kernels' scratch memory and JIT warm-up do not count); the real Java backend's allocation per
 * warmed-up step is printed for information.
 */
class BufferReuseTest {

    static long allocatedBytes() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    /** A Backend whose every method does nothing and returns 0 (a dynamic proxy, so new Backend methods need no change here). */
    static Backend noOpBackend() {
        return (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(), new Class<?>[] {Backend.class}, (proxy, m, args) -> {
            Class<?> r = m.getReturnType();
            if (r == double.class) return 0.0;
            if (r == String.class) return "no-op";
            return null;
        });
    }

    static Sequential net(Backend be) {
        SplittableRandom rng = new SplittableRandom(1);
        return new Sequential(new TransformerBlock(be, "blocks.0", 64, 4, rng),
                new TransformerBlock(be, "blocks.1", 64, 4, rng), new Linear(be, "head", 64, 32, true, rng));
    }

    /** Bytes allocated on this thread by {@code steps} forward + backward passes. */
    static long step(Sequential net, Tensor x, Tensor dy, int steps) {
        long a = allocatedBytes();
        for (int s = 0; s < steps; s++) {
            net.forward(x);
            net.backward(dy);
        }
        return allocatedBytes() - a;
    }

    @Test
    void sameShapeReusesBuffersAndLayersAllocateAlmostNothing() {
        SplittableRandom rng = new SplittableRandom(2);
        Tensor x = new Tensor(2, 48, 64);
        Init.normal(x, 0, 1, rng);
        Tensor dy = new Tensor(2, 48, 32);
        Init.normal(dy, 0, 1, rng);

        Sequential net = net(noOpBackend());
        Tensor y1 = net.forward(x);
        Tensor dx1 = net.backward(dy);
        assertThat(net.forward(x)).isSameAs(y1);
        assertThat(net.backward(dy)).isSameAs(dx1);
        step(net, x, dy, 20); // warm-up
        long perStep = step(net, x, dy, 10) / 10;
        long buffers = step(net(noOpBackend()), x, dy, 1); // a fresh network's first step: allocates its buffers
        System.out.printf("layers alone: first step %d bytes (buffers), later steps %d bytes/step%n", buffers, perStep);
        assertThat(perStep).as("bytes the layers allocate in a repeated step").isLessThan(buffers / 100);

        Tensor y3 = net.forward(new Tensor(1, 48, 64));
        assertThat(y3).isNotSameAs(y1);
        assertThat(y3.shape()).containsExactly(1, 48, 32);

        try (JavaBackend be = new JavaBackend(1)) {
            Sequential real = net(be);
            step(real, x, dy, 10);
            System.out.printf("with %s after 10 steps: %d bytes/step (kernels and their JIT warm-up included)%n", be.name(), step(real, x, dy, 3) / 3);
        }
    }
}
