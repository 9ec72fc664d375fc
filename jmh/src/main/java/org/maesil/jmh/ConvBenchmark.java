package org.maesil.jmh;

import java.util.concurrent.TimeUnit;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.JavaBackend;
import org.openjdk.jmh.annotations.*;

/**
 * The two convolution rows of `bench`: the patch embedding (k8 s8, 1 -> 768, [2,1,128^3]) forward
 * + weight gradient, and the stack 1 -> 32 -> 64 (k3 s2 p1, [2,1,64^3]) forward + backward.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class ConvBenchmark {
    @Param({"fast"})
    String impl;

    @Param({"2"})
    int threads;

    JavaBackend be;
    final Conv3dGeometry pe = Conv3dGeometry.cubic(2, 1, 768, 128, 128, 128, 8, 8, 0);
    final Conv3dGeometry c1 = Conv3dGeometry.cubic(2, 1, 32, 64, 64, 64, 3, 2, 1);
    final Conv3dGeometry c2 = Conv3dGeometry.cubic(2, 32, 64, 32, 32, 32, 3, 2, 1);
    float[] px, pw, pb, py, pdy, pdw, pdb;
    float[] x, w1, b1, h, w2, b2, y, dy, dh, dw1, db1, dw2, db2;

    @Setup
    public void setUp() {
        be = new JavaBackend(threads, impl.equals("fast"));
        px = MatmulBenchmark.random(pe.inputSize(), 1);
        pw = MatmulBenchmark.random(pe.weightSize(), 2);
        pb = MatmulBenchmark.random(pe.cout(), 3);
        py = new float[pe.outputSize()];
        pdy = MatmulBenchmark.random(pe.outputSize(), 4);
        pdw = new float[pe.weightSize()];
        pdb = new float[pe.cout()];
        x = MatmulBenchmark.random(c1.inputSize(), 5);
        w1 = MatmulBenchmark.random(c1.weightSize(), 6);
        b1 = MatmulBenchmark.random(c1.cout(), 7);
        h = new float[c1.outputSize()];
        w2 = MatmulBenchmark.random(c2.weightSize(), 8);
        b2 = MatmulBenchmark.random(c2.cout(), 9);
        y = new float[c2.outputSize()];
        dy = MatmulBenchmark.random(c2.outputSize(), 10);
        dh = new float[c1.outputSize()];
        dw1 = new float[c1.weightSize()];
        db1 = new float[c1.cout()];
        dw2 = new float[c2.weightSize()];
        db2 = new float[c2.cout()];
    }

    @TearDown
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public float[] patchEmbeddingForwardBackward() {
        be.conv3dForward(px, pw, pb, py, pe);
        be.conv3dBackwardWeight(px, pdy, pdw, pdb, pe);
        return pdw;
    }

    @Benchmark
    public float[] convStackForwardBackward() {
        be.conv3dForward(x, w1, b1, h, c1);
        be.conv3dForward(h, w2, b2, y, c2);
        be.conv3dBackwardWeight(h, dy, dw2, db2, c2);
        be.conv3dBackwardInput(dy, w2, dh, c2);
        be.conv3dBackwardWeight(x, dh, dw1, db1, c1);
        return dw1;
    }
}
