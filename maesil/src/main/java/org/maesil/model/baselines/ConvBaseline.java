package org.maesil.model.baselines;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.maesil.layers.Buffers;
import org.maesil.layers.Conv3d;
import org.maesil.layers.ConvTranspose3d;
import org.maesil.layers.Gelu;
import org.maesil.layers.Layer;
import org.maesil.layers.Parameter;
import org.maesil.layers.Sequential;
import org.maesil.model.ReconstructionModel;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * What the three convolutional baselines share: the encoder trunk, the latent head(s) and the
 * decoder of {@link BaselineConfig}, and the reconstruction loss, the mean squared error over
 * every voxel of the batch (they reconstruct the whole, unmasked superpatch).
 *
 * <p>Parameter names (PyTorch state_dict keys of tools/fixtures/make_baseline_fixtures.py), in
 * this order: {@code encoder.conv<i>.*}, {@code encoder.norm<i>.*} per stage, the heads
 * ({@code encoder.out.*}, or {@code encoder.mu.*} and {@code encoder.logvar.*}),
 * {@code decoder.conv_in.*}, {@code decoder.norm0.*}, then {@code decoder.up<j>.*} and
 * {@code decoder.norm<j+1>.*}, the last {@code decoder.up<stages-1>.*} without norm.
 * Convolution weights are xavier-uniform, biases zero, norms one / zero, drawn in parameter
 * order (trunk, decoder, heads) from a {@link SplittableRandom} seeded with the init seed.
 */
public abstract class ConvBaseline implements ReconstructionModel {
    protected final BaselineConfig cfg;
    protected final Backend be;
    protected final Sequential trunk;
    protected final Conv3d[] heads;
    protected final Sequential decoder;
    private final List<Parameter> params;

    private Tensor dpred;

    protected ConvBaseline(BaselineConfig cfg, Backend backend, long initSeed, String... headNames) {
        this.cfg = cfg;
        this.be = backend;
        SplittableRandom rng = new SplittableRandom(initSeed);
        int[] w = cfg.widths();
        int zc = cfg.latentChannels();

        List<Layer> enc = new ArrayList<>();
        int prev = 1;
        for (int i = 0; i < w.length; i++) {
            Conv3d conv = new Conv3d(be, "encoder.conv" + i, prev, w[i], 4, 2, 1, true, rng);
            if (i == 0) conv.computeInputGradient(false); // its input is the image
            enc.add(conv);
            enc.add(new GroupNorm3d(be, "encoder.norm" + i, w[i], cfg.groups()));
            enc.add(new Gelu(be));
            prev = w[i];
        }
        trunk = new Sequential(enc);

        List<Layer> dec = new ArrayList<>();
        dec.add(new Conv3d(be, "decoder.conv_in", zc, w[w.length - 1], 3, 1, 1, true, rng));
        dec.add(new GroupNorm3d(be, "decoder.norm0", w[w.length - 1], cfg.groups()));
        dec.add(new Gelu(be));
        for (int j = 0; j < w.length; j++) {
            int from = w[w.length - 1 - j];
            int to = j == w.length - 1 ? 1 : w[w.length - 2 - j];
            dec.add(new ConvTranspose3d(be, "decoder.up" + j, from, to, 4, 2, 1, 0, true, rng));
            if (j < w.length - 1) {
                dec.add(new GroupNorm3d(be, "decoder.norm" + (j + 1), to, cfg.groups()));
                dec.add(new Gelu(be));
            }
        }
        decoder = new Sequential(dec);

        heads = new Conv3d[headNames.length];
        for (int h = 0; h < heads.length; h++) {
            heads[h] = new Conv3d(be, "encoder." + headNames[h], w[w.length - 1], zc, 1, 1, 0, true, rng);
        }

        List<Parameter> all = new ArrayList<>(trunk.parameters());
        for (Conv3d h : heads) all.addAll(h.parameters());
        all.addAll(decoder.parameters());
        params = Collections.unmodifiableList(all);
    }

    public BaselineConfig config() { return cfg; }

    @Override public int superpatchSize() { return cfg.superpatch(); }
    @Override public List<Parameter> parameters() { return params; }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", kind());
        m.put("superpatch", cfg.superpatch());
        m.put("widths", java.util.Arrays.toString(cfg.widths()));
        m.put("groups", cfg.groups());
        m.put("latent", cfg.latentChannels() + "x" + cfg.latentEdge() + "^3");
        m.put("latentElements", cfg.latentElements());
        m.put("compressionRatio", cfg.compressionRatio());
        m.put("matchedTo", "MAESIL visible voxels (" + cfg.visibleFraction() + " of the superpatch)");
        long count = 0;
        for (Parameter p : params) count += p.size();
        m.put("parameters", count);
        return m;
    }

    /** Checks a batch [B, 1, S, S, S] and returns B. */
    protected int checkBatch(Tensor x) {
        int s = cfg.superpatch();
        if (x.rank() != 5 || x.dim(1) != 1 || x.dim(2) != s || x.dim(3) != s || x.dim(4) != s) {
            throw new IllegalArgumentException(kind() + " expects a batch [B, 1, " + s + ", " + s + ", " + s + "], got " + x);
        }
        return x.dim(0);
    }

    /** Mean squared error over every voxel of the batch. */
    protected double reconstructionLoss(Tensor pred, Tensor x) {
        int b = x.dim(0);
        return be.mseLoss(pred.data, x.data, null, b, x.size() / b);
    }

    /** d(mean squared error)/d pred, in a reused buffer. */
    protected Tensor reconstructionGradient(Tensor pred, Tensor x) {
        int b = x.dim(0);
        dpred = Buffers.ensure(dpred, pred.shape());
        be.mseLossBackward(pred.data, x.data, null, dpred.data, b, x.size() / b, 1f);
        return dpred;
    }

    /** A copy of the decoder output (the layer buffer is reused by the next call). */
    protected static Tensor copyOf(Tensor t) { return t.copy(); }
}
