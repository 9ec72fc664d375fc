package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.JavaBackend;

/**
 * ReLU and its gradient: PyTorch's values on the awkward inputs (checked with torch 1.13:
 * relu(NaN) = NaN, relu(-0) = -0, the gradient passes where x is NaN and stops where x is -0 or
 * 0), and the vector fast path bit for bit against the reference kernels, 1 and 2 threads, in place.
 */
class ReluTest {
    static final float NAN = Float.NaN;

    @Test
    void referenceKernelsFollowPyTorch() {
        float[] x = {NAN, -0f, 0f, -1f, 2f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        float[] dy = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f};
        float[] y = new float[x.length], dx = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            Relu.reluForwardElement(x, y, i);
            Relu.reluBackwardElement(x, dy, dx, i);
        }
        assertThat(y).containsExactly(NAN, -0f, 0f, 0f, 2f, Float.POSITIVE_INFINITY, 0f, Float.MIN_VALUE, 0f);
        assertThat(Float.floatToRawIntBits(y[1])).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(dx).containsExactly(1f, 0f, 0f, 0f, 5f, 6f, 0f, 8f, 0f);
    }

    @Test
    void fastPathIsBitIdenticalToTheReference() {
        int n = 24001; // not a multiple of the vector length: the tail runs the reference
        Random r = new Random(3);
        float[] x = new float[n], dy = new float[n];
        float[] specials = {NAN, -0f, 0f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        for (int i = 0; i < n; i++) {
            x[i] = i % 97 < specials.length ? specials[i % 97] : (float) r.nextGaussian();
            dy[i] = (float) r.nextGaussian();
        }
        float[] yRef = new float[n], dxRef = new float[n];
        try (JavaBackend reference = new JavaBackend(1, false)) {
            reference.reluForward(x, yRef, n);
            reference.reluBackward(x, dy, dxRef, n);
        }
        for (int threads = 1; threads <= 2; threads++) {
            try (JavaBackend fast = new JavaBackend(threads)) {
                float[] y = new float[n], dx = new float[n];
                fast.reluForward(x, y, n);
                fast.reluBackward(x, dy, dx, n);
                assertThat(bits(y)).isEqualTo(bits(yRef));
                assertThat(bits(dx)).isEqualTo(bits(dxRef));
                float[] inPlace = x.clone(), gradInPlace = dy.clone();
                fast.reluBackward(x, gradInPlace, gradInPlace, n);
                fast.reluForward(inPlace, inPlace, n);
                assertThat(bits(inPlace)).isEqualTo(bits(yRef));
                assertThat(bits(gradInPlace)).isEqualTo(bits(dxRef));
            }
        }
    }

    static int[] bits(float[] a) {
        int[] b = new int[a.length];
        for (int i = 0; i < a.length; i++) b[i] = Float.floatToRawIntBits(a[i]);
        return b;
    }
}
