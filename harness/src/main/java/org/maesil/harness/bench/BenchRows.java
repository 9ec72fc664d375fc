package org.maesil.harness.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.maesil.layers.optim.AdamW;
import org.maesil.model.MaesilConfig;
import org.maesil.model.MaesilModel;
import org.maesil.model.ReconstructionModel;
import org.maesil.train.ModelSpec;
import org.maesil.train.Models;
import org.maesil.train.Presets;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Tensor;

/**
 * The benchmark rows of issues 2 and 8, the same work as ../shared/bench/torch_anchor.py.
 * FLOP counts (multiply and add counted as 2, as torch_anchor.py):
 * <ul>
 *   <li>matmul n: 2 n^3;</li>
 *   <li>convolution: forward 2 * MACs (MACs = output elements * cin * k^3); backward of one
 *       layer 2 * MACs per gradient computed (weight; input where needed);</li>
 *   <li>attention B, H, L, d: forward 4 B H L^2 d (Q K^T and P V); forward + backward 3x that;</li>
 *   <li>MAE training step: torch_anchor.py's approximation, 3 x forward matmul FLOPs.</li>
 * </ul>
 */
public final class BenchRows {
    private BenchRows() {}

    /** One row: how to build its data and work, and how often to run it. */
    public record Row(String id, String name, double gflop, int warmup, int reps, String note, Setup setup) {}

    /** Allocates a row's data and returns the work of one repetition. */
    @FunctionalInterface
    public interface Setup {
        Measurement.Work prepare(Backend be) throws Exception;
    }

    /** The rows, with torch_anchor.py's repetition counts (reps = 3 with --quick, else 7). */
    public static List<Row> all(int reps, boolean big) {
        List<Row> rows = new ArrayList<>();
        for (int n : new int[] {512, 1024, 2048}) {
            rows.add(new Row("matmul" + n, "matmul " + n + "^3", 2.0 * n * n * n / 1e9, 3,
                    Math.max(reps, n <= 1024 ? 10 : reps), "", be -> matmul(be, n)));
        }
        Conv3dGeometry pe = Conv3dGeometry.cubic(2, 1, 768, 128, 128, 128, 8, 8, 0);
        rows.add(new Row("patch-embed", "patch-embed conv k8s8 1->768 [2,1,128^3] fwd+bwd",
                2 * 2.0 * pe.macs() / 1e9, 2, reps, "bwd = dW, db (input needs no grad)", be -> patchEmbed(be, pe)));
        Conv3dGeometry c1 = Conv3dGeometry.cubic(2, 1, 32, 64, 64, 64, 3, 2, 1);
        Conv3dGeometry c2 = Conv3dGeometry.cubic(2, 32, 64, c1.outD(), c1.outH(), c1.outW(), 3, 2, 1);
        rows.add(new Row("conv-stack", "conv stack 1->32->64 k3s2p1 [2,1,64^3] fwd+bwd",
                (2 * 2.0 * c1.macs() + 3 * 2.0 * c2.macs()) / 1e9, 3, Math.max(reps, 10),
                "ReLU between; bwd = dW1, db1, dW2, db2, dX2", be -> convStack(be, c1, c2)));
        for (int len : big ? new int[] {1024, 4096} : new int[] {1024}) {
            rows.add(new Row("attn" + len, "attention B2 H12 d64 L" + len + " fwd+bwd",
                    3 * 4.0 * 2 * 12 * len * (double) len * 64 / 1e9, 1, len == 1024 ? reps : Math.max(3, reps / 2),
                    "", be -> attention(be, 2 * 12, len, 64)));
        }
        MaesilConfig small = new MaesilConfig(64, 8, 192, 6, 3, 128, 2, 4, 4, 0.5, 0.5, false);
        // 12 warm-up steps: a training run's steady state. The JIT keeps replacing code for the
        // first ~10 steps of this model (measured: steps 1-8 at 80-130 ms, then 65-80), so 3 timed
        // part of the transition (medians 92-140 ms with minima of 70)
        rows.add(new Row("mae-small", "MAE step 64^3/p8 E192 d6 h3 | dec 128 d2 h4, B=2",
                maeGflop(2, small), 12, Math.max(reps, 10), "fwd+bwd+AdamW; 75% masked", be -> maeStep(be, small, 2)));
        if (big) {
            MaesilConfig paper = new MaesilConfig(128, 8, 768, 12, 12, 128, 2, 4, 4, 0.5, 0.5, false);
            rows.add(new Row("mae-big", "MAE step 128^3/p8 E768 d12 h12 | dec 128 d2 h4, B=2",
                    maeGflop(2, paper), 1, 3, "fwd+bwd+AdamW; 75% masked", be -> maeStep(be, paper, 2)));
        }
        // the demo command's four models, one training step each (no PyTorch counterpart: these
        // track the demo's wall time, which is mostly these steps times 1500)
        for (String kind : List.of("maesil", "ae", "vae", "vqvae")) {
            rows.add(new Row("demo-" + kind, "demo step " + kind + " (demo preset, B=4, 32^3)", 0, 5, Math.max(reps, 15),
                    "fwd+bwd+AdamW, as the demo trains it", be -> demoStep(be, kind)));
        }
        return rows;
    }

    /**
     * Runs every kernel family a few times on small shapes so that the JIT has compiled the hot
     * loops before the first timed row (a JVM's steady state is what the rows measure). The
     * shapes reach every conv path the rows take (direct forward: output rows of 16; direct dW,
     * its wide tile with 64 output channels, and dot-product dW; gathered panels), and each register tile is called often enough (> 600
     * times) for a regular C2 compilation: a tile first compiled on-stack-replacement, in the
     * middle of a long loop, keeps its vectors boxed (the Vector API's slow Java fallback).
     */
    public static void warmUpJit(Backend be) throws Exception {
        Measurement.Work mm = matmul(be, 192);
        Measurement.Work att = attention(be, 2, 200, 64);
        Measurement.Work conv = convStack(be, Conv3dGeometry.cubic(1, 1, 8, 32, 32, 32, 3, 2, 1),
                Conv3dGeometry.cubic(1, 8, 64, 16, 16, 16, 3, 2, 1));
        Measurement.Work pe = patchEmbed(be, Conv3dGeometry.cubic(1, 1, 32, 32, 32, 32, 8, 8, 0));
        for (int i = 0; i < 40; i++) {
            mm.run();
            att.run();
            conv.run();
            pe.run();
        }
    }

    static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) (2 * r.nextDouble() - 1);
        return x;
    }

    static Measurement.Work matmul(Backend be, int n) {
        float[] a = random(n * n, 1), b = random(n * n, 2), c = new float[n * n];
        return () -> be.matmul(a, b, c, n, n, n, false, false, false);
    }

    static Measurement.Work patchEmbed(Backend be, Conv3dGeometry g) {
        float[] x = random(g.inputSize(), 1), w = random(g.weightSize(), 2), bias = random(g.cout(), 3);
        float[] y = new float[g.outputSize()], dy = random(g.outputSize(), 4);
        float[] dw = new float[g.weightSize()], db = new float[g.cout()];
        return () -> {
            be.conv3dForward(x, w, bias, y, g);
            be.conv3dBackwardWeight(x, dy, dw, db, g);
        };
    }

    static Measurement.Work convStack(Backend be, Conv3dGeometry g1, Conv3dGeometry g2) {
        float[] x = random(g1.inputSize(), 1);
        float[] w1 = random(g1.weightSize(), 2), b1 = random(g1.cout(), 3);
        float[] w2 = random(g2.weightSize(), 4), b2 = random(g2.cout(), 5);
        float[] h = new float[g1.outputSize()], hr = new float[g1.outputSize()];
        float[] y = new float[g2.outputSize()], dy = random(g2.outputSize(), 6);
        float[] dhr = new float[g1.outputSize()];
        float[] dw1 = new float[g1.weightSize()], db1 = new float[g1.cout()];
        float[] dw2 = new float[g2.weightSize()], db2 = new float[g2.cout()];
        return () -> {
            be.conv3dForward(x, w1, b1, h, g1);
            be.reluForward(h, hr, h.length);
            be.conv3dForward(hr, w2, b2, y, g2);
            be.conv3dBackwardWeight(hr, dy, dw2, db2, g2);
            be.conv3dBackwardInput(dy, w2, dhr, g2);
            be.reluBackward(h, dhr, dhr, h.length);
            be.conv3dBackwardWeight(x, dhr, dw1, db1, g1);
        };
    }

    static Measurement.Work attention(Backend be, int bh, int len, int d) {
        float[] q = random(bh * len * d, 1), k = random(bh * len * d, 2), v = random(bh * len * d, 3);
        float[] out = new float[bh * len * d], lse = new float[bh * len], dout = random(bh * len * d, 4);
        float[] dq = new float[bh * len * d], dk = new float[bh * len * d], dv = new float[bh * len * d];
        float[] delta = new float[bh * len];
        float scale = (float) (1 / Math.sqrt(d));
        return () -> {
            be.attentionForward(q, k, v, out, lse, bh, len, len, d, scale);
            be.attentionBackward(q, k, v, out, lse, dout, dq, dk, dv, delta, bh, len, len, d, scale);
        };
    }

    static Measurement.Work maeStep(Backend be, MaesilConfig cfg, int batch) {
        return trainStep(be, new MaesilModel(cfg, be, 1), cfg.superpatch(), batch);
    }

    /** One training step of a demo-preset model on a batch of 4 superpatches. */
    static Measurement.Work demoStep(Backend be, String kind) {
        ReconstructionModel model = Models.create(new ModelSpec(kind, "demo", Map.of(), 1), be);
        return trainStep(be, model, Presets.DEMO.superpatch(), Presets.DEMO.train().batch());
    }

    /** model.trainStep on a fixed random batch in [0, 1], then one AdamW step (the paper's betas and weight decay). */
    static Measurement.Work trainStep(Backend be, ReconstructionModel model, int s, int batch) {
        AdamW opt = new AdamW(be, model.parameters(), 0.9f, 0.95f, 1e-8f, 0.05f);
        float[] vol = random(batch * s * s * s, 7);
        for (int i = 0; i < vol.length; i++) vol[i] = 0.5f + 0.5f * vol[i];
        Tensor x = new Tensor(vol, batch, 1, s, s, s);
        long[] seed = {0};
        return () -> {
            model.trainStep(x, seed[0]++);
            opt.step(1.5e-4);
        };
    }

    /** torch_anchor.py's mae_flops (matmuls only, x3 for forward + backward), without its class token. */
    static double maeGflop(int batch, MaesilConfig c) {
        long n = c.tokens(), keep = c.masking().visibleCount(), pv = c.patchVoxels();
        double f = 2.0 * n * pv * c.width();
        f += c.depth() * block(keep, c.width()) + 2.0 * keep * c.width() * c.decoderWidth();
        f += c.decoderDepth() * block(n, c.decoderWidth()) + 2.0 * n * c.decoderWidth() * pv;
        return 3 * batch * f / 1e9;
    }

    private static double block(long t, long d) {
        return 2.0 * t * (12 * d * d) + 4.0 * t * t * d;
    }
}
