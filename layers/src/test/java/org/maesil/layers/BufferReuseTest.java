package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/** Buffers are allocated on the first call, reused for the same shape, replaced when it changes. */
class BufferReuseTest {

    static long allocatedBytes() {
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        return bean.getThreadAllocatedBytes(Thread.currentThread().getId());
    }

    @Test
    void sameShapeReusesBuffersAndAllocatesLittle() {
        try (JavaBackend be = new JavaBackend(1)) { // one thread: all work, and its allocation, on this thread
            SplittableRandom rng = new SplittableRandom(1);
            Sequential net = new Sequential(new TransformerBlock(be, "blocks.0", 64, 4, rng),
                    new TransformerBlock(be, "blocks.1", 64, 4, rng), new Linear(be, "head", 64, 32, true, rng));
            Tensor x = new Tensor(2, 48, 64);
            Init.normal(x, 0, 1, rng);
            Tensor dy = new Tensor(2, 48, 32);
            Init.normal(dy, 0, 1, rng);

            long a0 = allocatedBytes();
            Tensor y1 = net.forward(x);
            Tensor dx1 = net.backward(dy);
            long first = allocatedBytes() - a0;
            long a1 = allocatedBytes();
            Tensor y2 = net.forward(x);
            Tensor dx2 = net.backward(dy);
            long second = allocatedBytes() - a1;
            System.out.printf("allocation: first step %d bytes, second step %d bytes%n", first, second);
            assertThat(y2).isSameAs(y1);
            assertThat(dx2).isSameAs(dx1);
            assertThat(second).as("bytes allocated by a repeated step").isLessThan(first / 50);

            Tensor y3 = net.forward(new Tensor(1, 48, 64));
            assertThat(y3).isNotSameAs(y1);
            assertThat(y3.shape()).containsExactly(1, 48, 32);
        }
    }
}
