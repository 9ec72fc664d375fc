package org.maesil.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.maesil.tensor.JavaBackend;
import org.openjdk.jmh.annotations.*;

/** C[n, n] = A B on the Java backend: the fast path (packed Vector API) or the reference row kernel. 2 n^3 FLOP per op. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class MatmulBenchmark {
    @Param({"512", "1024", "2048"})
    int n;

    /** fast: Vector API paths; reference: the readable kernels only. */
    @Param({"fast"})
    String impl;

    @Param({"2"})
    int threads;

    float[] a, b, c;
    JavaBackend be;

    @Setup
    public void setUp() {
        be = new JavaBackend(threads, impl.equals("fast"));
        a = random(n * n, 1);
        b = random(n * n, 2);
        c = new float[n * n];
    }

    @TearDown
    public void tearDown() {
        be.close();
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    @Benchmark
    public float[] matmul() {
        be.matmul(a, b, c, n, n, n, false, false, false);
        return c;
    }
}
