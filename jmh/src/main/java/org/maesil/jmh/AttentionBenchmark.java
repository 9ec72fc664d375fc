package org.maesil.jmh;

import java.util.concurrent.TimeUnit;
import org.maesil.tensor.JavaBackend;
import org.openjdk.jmh.annotations.*;

/** Attention B2 H12 d64 forward + backward (fwd 4 B H L^2 d FLOP, fwd+bwd 3x). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
public class AttentionBenchmark {
    @Param({"1024"})
    int len;

    @Param({"fast"})
    String impl;

    @Param({"2"})
    int threads;

    final int bh = 24, d = 64;
    JavaBackend be;
    float[] q, k, v, out, lse, dout, dq, dk, dv, delta;

    @Setup
    public void setUp() {
        be = new JavaBackend(threads, impl.equals("fast"));
        q = MatmulBenchmark.random(bh * len * d, 1);
        k = MatmulBenchmark.random(bh * len * d, 2);
        v = MatmulBenchmark.random(bh * len * d, 3);
        dout = MatmulBenchmark.random(bh * len * d, 4);
        out = new float[bh * len * d];
        lse = new float[bh * len];
        dq = new float[bh * len * d];
        dk = new float[bh * len * d];
        dv = new float[bh * len * d];
        delta = new float[bh * len];
    }

    @TearDown
    public void tearDown() {
        be.close();
    }

    @Benchmark
    public float[] forward() {
        be.attentionForward(q, k, v, out, lse, bh, len, len, d, 0.125f);
        return out;
    }

    @Benchmark
    public float[] forwardBackward() {
        be.attentionForward(q, k, v, out, lse, bh, len, len, d, 0.125f);
        be.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, delta, bh, len, len, d, 0.125f);
        return dq;
    }
}
