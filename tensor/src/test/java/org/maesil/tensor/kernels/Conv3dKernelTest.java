package org.maesil.tensor.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.maesil.tensor.kernels.LinearOpsReference.*;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.JavaBackend;

/**
 * Conv3d and ConvTranspose3d (forward, input gradient, weight and bias gradients) against
 * float64 scatter references, central finite differences, each other (adjointness), and
 * across thread counts. {@code one} and {@code two} run the reference kernels (fast paths off);
 * the default JavaBackend (fast paths where available) is checked against the same float64
 * references and across thread counts in {@link #defaultBackendMatchesFloat64}.
 */
class Conv3dKernelTest {
    static JavaBackend one;
    static JavaBackend two;
    static JavaBackend fastOne;
    static JavaBackend fastTwo;

    @BeforeAll
    static void start() {
        one = new JavaBackend(1, false);
        two = new JavaBackend(2, false);
        fastOne = new JavaBackend(1, false);
        fastTwo = new JavaBackend(2, false);
    }

    @AfterAll
    static void stop() {
        one.close();
        two.close();
        fastOne.close();
        fastTwo.close();
    }

    /** Both directions of both convolutions of the default backend, against float64 and across 1 and 2 threads. */
    @Test
    void defaultBackendMatchesFloat64() {
        Random rnd = new Random(16);
        double worst = 0;
        for (Conv3dGeometry g : GEOMETRIES) {
            float[] x = random(rnd, g.inputSize()), w = random(rnd, g.weightSize());
            float[] bias = random(rnd, g.cout()), dy = random(rnd, g.outputSize());
            float[] xt = random(rnd, g.outputSize()), biasT = random(rnd, g.cin()), dyt = random(rnd, g.inputSize());
            double[] yRef = conv3d(toDouble(x), toDouble(w), toDouble(bias), g);
            double[][] adj = conv3dAdjoint(toDouble(x), toDouble(w), toDouble(dy), g);
            double[] ytRef = convTranspose3d(toDouble(xt), toDouble(w), toDouble(biasT), g);
            double[] dxtRef = conv3d(toDouble(dyt), toDouble(w), null, g);
            double[][] adjT = conv3dAdjoint(toDouble(dyt), toDouble(w), toDouble(xt), g);
            float[][] results = new float[2][];
            JavaBackend[] backends = {fastOne, fastTwo};
            for (int b = 0; b < 2; b++) {
                JavaBackend be = backends[b];
                float[] y = new float[g.outputSize()], dx = new float[g.inputSize()], dw = new float[g.weightSize()], db = new float[g.cout()];
                be.conv3dForward(x, w, bias, y, g);
                be.conv3dBackwardInput(dy, w, dx, g);
                be.conv3dBackwardWeight(x, dy, dw, db, g);
                float[] yt = new float[g.inputSize()], dxt = new float[g.outputSize()], dwt = new float[g.weightSize()];
                be.convTranspose3dForward(xt, w, biasT, yt, g);
                be.convTranspose3dBackwardInput(dyt, w, dxt, g);
                be.convTranspose3dBackwardWeight(xt, dyt, dwt, null, g);
                double[] errs = {relError(y, yRef), relError(dx, adj[0]), relError(dw, adj[1]), relError(db, adj[2]),
                        relError(yt, ytRef), relError(dxt, dxtRef), relError(dwt, adjT[1])};
                for (int i = 0; i < errs.length; i++) {
                    worst = Math.max(worst, errs[i]);
                    assertThat(errs[i]).as("output " + i + " of " + be.name() + " " + g).isLessThan(1e-5);
                }
                results[b] = concat(y, dx, dw, db, yt, dxt, dwt);
            }
            assertThat(sameBits(results[0], results[1])).as("default backend, 1 vs 2 threads " + g).isTrue();
        }
        System.out.printf("conv3d and convTranspose3d of the default JavaBackend vs float64: max rel error %.3e%n", worst);
    }

    static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] r = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, r, at, p.length);
            at += p.length;
        }
        return r;
    }

    /** Sizes 1 and primes, strides 1-3 and equal to the kernel, padding 0-2, non-cubic kernels. */
    static final Conv3dGeometry[] GEOMETRIES = {
        new Conv3dGeometry(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0),
        new Conv3dGeometry(2, 3, 2, 7, 5, 6, 3, 2, 1, 1, 2, 3, 1, 0, 2),
        new Conv3dGeometry(1, 2, 3, 13, 7, 4, 2, 3, 3, 2, 1, 2, 0, 2, 1),
        new Conv3dGeometry(1, 1, 4, 8, 8, 8, 4, 4, 4, 4, 4, 4, 0, 0, 0),
        new Conv3dGeometry(2, 2, 2, 5, 5, 5, 3, 3, 3, 2, 2, 2, 1, 1, 1),
        new Conv3dGeometry(1, 3, 2, 6, 4, 9, 1, 1, 5, 3, 1, 1, 0, 0, 2),
        new Conv3dGeometry(1, 1, 1, 3, 2, 2, 3, 2, 2, 1, 1, 1, 2, 2, 2),
    };

    /** Tiny geometries for the finite-difference checks. */
    static final Conv3dGeometry[] TINY = {
        new Conv3dGeometry(1, 2, 2, 4, 3, 5, 2, 3, 2, 2, 1, 3, 1, 1, 0),
        new Conv3dGeometry(2, 1, 2, 3, 3, 3, 3, 3, 3, 1, 1, 1, 2, 0, 1),
        new Conv3dGeometry(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0),
    };

    @Test
    void conv3dMatchesFloat64AndIsThreadCountIndependent() {
        Random rnd = new Random(11);
        double worstY = 0, worstDx = 0, worstDw = 0, worstDb = 0;
        for (Conv3dGeometry g : GEOMETRIES) {
            float[] x = random(rnd, g.inputSize());
            float[] w = random(rnd, g.weightSize());
            float[] bias = random(rnd, g.cout());
            float[] dy = random(rnd, g.outputSize());
            double[] yRef = conv3d(toDouble(x), toDouble(w), toDouble(bias), g);
            double[][] adj = conv3dAdjoint(toDouble(x), toDouble(w), toDouble(dy), g);

            float[] y1 = new float[g.outputSize()], y2 = new float[g.outputSize()];
            one.conv3dForward(x, w, bias, y1, g);
            two.conv3dForward(x, w, bias, y2, g);
            float[] yNoBias = new float[g.outputSize()];
            two.conv3dForward(x, w, null, yNoBias, g);
            float[] dx1 = new float[g.inputSize()], dx2 = new float[g.inputSize()];
            one.conv3dBackwardInput(dy, w, dx1, g);
            two.conv3dBackwardInput(dy, w, dx2, g);
            float[] dw1 = new float[g.weightSize()], dw2 = new float[g.weightSize()];
            float[] db1 = new float[g.cout()], db2 = new float[g.cout()];
            one.conv3dBackwardWeight(x, dy, dw1, db1, g);
            two.conv3dBackwardWeight(x, dy, dw2, db2, g);

            String what = g.toString();
            worstY = Math.max(worstY, relError(y1, yRef));
            worstDx = Math.max(worstDx, relError(dx1, adj[0]));
            worstDw = Math.max(worstDw, relError(dw1, adj[1]));
            worstDb = Math.max(worstDb, relError(db1, adj[2]));
            assertThat(relError(y1, yRef)).as("y " + what).isLessThan(1e-5);
            assertThat(relError(yNoBias, conv3d(toDouble(x), toDouble(w), null, g))).as("y without bias " + what).isLessThan(1e-5);
            assertThat(relError(dx1, adj[0])).as("dx " + what).isLessThan(1e-5);
            assertThat(relError(dw1, adj[1])).as("dw " + what).isLessThan(1e-5);
            assertThat(relError(db1, adj[2])).as("db " + what).isLessThan(1e-5);
            assertThat(sameBits(y1, y2) && sameBits(dx1, dx2) && sameBits(dw1, dw2) && sameBits(db1, db2))
                    .as("1 vs 2 threads " + what).isTrue();
        }
        System.out.printf("conv3d vs float64: max rel error y %.3e, dx %.3e, dw %.3e, db %.3e%n", worstY, worstDx, worstDw, worstDb);
    }

    @Test
    void convTranspose3dMatchesFloat64AndIsThreadCountIndependent() {
        Random rnd = new Random(12);
        double worstY = 0, worstDx = 0, worstDw = 0, worstDb = 0;
        for (Conv3dGeometry g : GEOMETRIES) {
            float[] x = random(rnd, g.outputSize());   // a transposed convolution reads the conv's output shape
            float[] w = random(rnd, g.weightSize());
            float[] bias = random(rnd, g.cin());
            float[] dy = random(rnd, g.inputSize());
            double[] yRef = convTranspose3d(toDouble(x), toDouble(w), toDouble(bias), g);
            // its input gradient is the convolution; its weight gradient the conv's with x and dy swapped
            double[] dxRef = conv3d(toDouble(dy), toDouble(w), null, g);
            double[] dwRef = conv3dAdjoint(toDouble(dy), toDouble(w), toDouble(x), g)[1];
            double[] dbRef = new double[g.cin()];
            int spatial = g.inD() * g.inH() * g.inW();
            for (int i = 0; i < dy.length; i++) dbRef[(i / spatial) % g.cin()] += dy[i];

            float[] y1 = new float[g.inputSize()], y2 = new float[g.inputSize()];
            one.convTranspose3dForward(x, w, bias, y1, g);
            two.convTranspose3dForward(x, w, bias, y2, g);
            float[] yNoBias = new float[g.inputSize()];
            two.convTranspose3dForward(x, w, null, yNoBias, g);
            float[] dx1 = new float[g.outputSize()], dx2 = new float[g.outputSize()];
            one.convTranspose3dBackwardInput(dy, w, dx1, g);
            two.convTranspose3dBackwardInput(dy, w, dx2, g);
            float[] dw1 = new float[g.weightSize()], dw2 = new float[g.weightSize()];
            float[] db1 = new float[g.cin()], db2 = new float[g.cin()];
            one.convTranspose3dBackwardWeight(x, dy, dw1, db1, g);
            two.convTranspose3dBackwardWeight(x, dy, dw2, db2, g);

            String what = g.toString();
            worstY = Math.max(worstY, relError(y1, yRef));
            worstDx = Math.max(worstDx, relError(dx1, dxRef));
            worstDw = Math.max(worstDw, relError(dw1, dwRef));
            worstDb = Math.max(worstDb, relError(db1, dbRef));
            assertThat(relError(y1, yRef)).as("y " + what).isLessThan(1e-5);
            assertThat(relError(yNoBias, convTranspose3d(toDouble(x), toDouble(w), null, g))).as("y without bias " + what).isLessThan(1e-5);
            assertThat(relError(dx1, dxRef)).as("dx " + what).isLessThan(1e-5);
            assertThat(relError(dw1, dwRef)).as("dw " + what).isLessThan(1e-5);
            assertThat(relError(db1, dbRef)).as("db " + what).isLessThan(1e-5);
            assertThat(sameBits(y1, y2) && sameBits(dx1, dx2) && sameBits(dw1, dw2) && sameBits(db1, db2))
                    .as("1 vs 2 threads " + what).isTrue();
        }
        System.out.printf("convTranspose3d vs float64: max rel error y %.3e, dx %.3e, dw %.3e, db %.3e%n", worstY, worstDx, worstDw, worstDb);
    }

    /** <conv(x), y> = <x, convT(y)>: the transposed convolution is the convolution's adjoint. */
    @Test
    void convTransposeIsTheAdjointOfConv() {
        Random rnd = new Random(13);
        for (Conv3dGeometry g : GEOMETRIES) {
            float[] x = random(rnd, g.inputSize());
            float[] y = random(rnd, g.outputSize());
            float[] w = random(rnd, g.weightSize());
            float[] convX = new float[g.outputSize()];
            two.conv3dForward(x, w, null, convX, g);
            float[] convTY = new float[g.inputSize()];
            two.convTranspose3dForward(y, w, null, convTY, g);
            double left = dot(toDouble(convX), toDouble(y));
            double right = dot(toDouble(x), toDouble(convTY));
            double scale = Math.sqrt(g.macs()) * 4;   // typical size of either inner product
            assertThat(Math.abs(left - right) / scale).as(g.toString()).isLessThan(1e-5);
        }
    }

    /** Gradients of the float64 loss sum(conv3d(x, w, b) * r) by central differences. */
    @Test
    void conv3dGradientsMatchFiniteDifferences() {
        Random rnd = new Random(14);
        for (Conv3dGeometry g : TINY) {
            float[] x = random(rnd, g.inputSize());
            float[] w = random(rnd, g.weightSize());
            float[] bias = random(rnd, g.cout());
            float[] r = random(rnd, g.outputSize());
            double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(bias), rd = toDouble(r);
            double[] fdX = finiteDifference(xd, p -> dot(conv3d(p, wd, bd, g), rd), 1e-3);
            double[] fdW = finiteDifference(wd, p -> dot(conv3d(xd, p, bd, g), rd), 1e-3);
            double[] fdB = finiteDifference(bd, p -> dot(conv3d(xd, wd, p, g), rd), 1e-3);

            float[] dx = new float[g.inputSize()], dw = new float[g.weightSize()], db = new float[g.cout()];
            two.conv3dBackwardInput(r, w, dx, g);
            two.conv3dBackwardWeight(x, r, dw, db, g);
            assertThat(relError(dx, fdX)).as("dx " + g).isLessThan(1e-5);
            assertThat(relError(dw, fdW)).as("dw " + g).isLessThan(1e-5);
            assertThat(relError(db, fdB)).as("db " + g).isLessThan(1e-5);
        }
    }

    /** Gradients of the float64 loss sum(convT(x, w, b) * r) by central differences. */
    @Test
    void convTranspose3dGradientsMatchFiniteDifferences() {
        Random rnd = new Random(15);
        for (Conv3dGeometry g : TINY) {
            float[] x = random(rnd, g.outputSize());
            float[] w = random(rnd, g.weightSize());
            float[] bias = random(rnd, g.cin());
            float[] r = random(rnd, g.inputSize());
            double[] xd = toDouble(x), wd = toDouble(w), bd = toDouble(bias), rd = toDouble(r);
            double[] fdX = finiteDifference(xd, p -> dot(convTranspose3d(p, wd, bd, g), rd), 1e-3);
            double[] fdW = finiteDifference(wd, p -> dot(convTranspose3d(xd, p, bd, g), rd), 1e-3);
            double[] fdB = finiteDifference(bd, p -> dot(convTranspose3d(xd, wd, p, g), rd), 1e-3);

            float[] dx = new float[g.outputSize()], dw = new float[g.weightSize()], db = new float[g.cin()];
            two.convTranspose3dBackwardInput(r, w, dx, g);
            two.convTranspose3dBackwardWeight(x, r, dw, db, g);
            assertThat(relError(dx, fdX)).as("dx " + g).isLessThan(1e-5);
            assertThat(relError(dw, fdW)).as("dw " + g).isLessThan(1e-5);
            assertThat(relError(db, fdB)).as("db " + g).isLessThan(1e-5);
        }
    }

    @Test
    void rejectsArraysOfTheWrongSize() {
        Conv3dGeometry g = GEOMETRIES[1];
        assertThatThrownBy(() -> one.conv3dForward(new float[g.inputSize() - 1], new float[g.weightSize()], null,
                new float[g.outputSize()], g))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("conv3dForward: x");
        assertThatThrownBy(() -> one.convTranspose3dForward(new float[g.outputSize()], new float[g.weightSize()],
                new float[g.cout() == g.cin() ? 0 : g.cout()], new float[g.inputSize()], g))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("convTranspose3dForward: bias");
    }
}
