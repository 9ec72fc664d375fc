package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * Forward output, input gradient and parameter gradients are bit-identical with 1 and 2
 * threads, on either schedule of the Java backend: what exact resume on another machine needs.
 */
class DeterminismTest {

    /** y, dx and every parameter gradient (copies) of one pass of a block stack and a conv stack. */
    static List<float[]> run(Backend be) {
        List<float[]> out = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(3);
        Sequential tokens = new Sequential(new TransformerBlock(be, "blocks.0", 32, 4, rng), new Linear(be, "head", 32, 24, true, rng));
        Sequential conv = new Sequential(new Conv3d(be, "enc", 2, 8, 3, 2, 1, true, rng), new Gelu(be),
                new ConvTranspose3d(be, "dec", 8, 2, 4, 2, 1, 0, true, rng));
        for (Sequential net : List.of(tokens, conv)) {
            Tensor x = net == tokens ? new Tensor(2, 40, 32) : new Tensor(2, 2, 6, 8, 10);
            Init.normal(x, 0, 1, rng);
            Tensor y = net.forward(x);
            Tensor dy = new Tensor(y.shape());
            Init.normal(dy, 0, 1, rng);
            out.add(y.data.clone());
            out.add(net.backward(dy).data.clone());
            for (Parameter p : net.parameters()) out.add(p.grad.data.clone());
        }
        return out;
    }

    @Test
    void oneAndTwoThreadsGiveTheSameBits() {
        for (boolean fastPaths : new boolean[] {false, true}) {
            List<float[]> one, two;
            try (Backend be = new JavaBackend(1, fastPaths)) { one = run(be); }
            try (Backend be = new JavaBackend(2, fastPaths)) { two = run(be); }
            assertThat(two).hasSameSizeAs(one);
            for (int i = 0; i < one.size(); i++) {
                assertThat(two.get(i)).as("tensor " + i + (fastPaths ? " (fast paths)" : " (reference)")).isEqualTo(one.get(i));
            }
        }
    }
}
