package org.maesil.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.maesil.layers.LayerNorm;
import org.maesil.layers.Linear;
import org.maesil.layers.Parameter;
import org.maesil.layers.TransformerBlock;
import org.maesil.layers.Workspace;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * MAESIL: a 3D masked autoencoder over the patch tokens of a superpatch, with dual masking
 * (DESIGN.md, "MAESIL, as specified"; MAE, He et al. 2022, carried to 3D).
 *
 * <p>Forward pass for a batch x [B, 1, S, S, S] and a step seed:
 * <ol>
 *   <li>dual mask per sample b, drawn from {@code Rng.derive(seed, b)} ({@link DualMask});</li>
 *   <li>patchify ([B, N, p^3], {@link Patchify}); the visible patches are gathered and embedded
 *       by the patch embedding, a Conv3d(1, width, kernel = stride = p) - computed as
 *       patches x W^T + b with W [width, 1, p, p, p] viewed [width, p^3], the same sums as the
 *       convolution - plus the fixed sin-cos positions of their tokens;</li>
 *   <li>encoder: {@code depth} pre-norm transformer blocks over the visible tokens only, then
 *       LayerNorm;</li>
 *   <li>decoder: Linear to the decoder width; the full sequence of N tokens in the original
 *       order, the learnable mask token at masked positions; decoder sin-cos positions;
 *       {@code decoderDepth} blocks; LayerNorm; Linear head to p^3 voxels per token;</li>
 *   <li>loss: mean over masked tokens of the mean squared error over their p^3 voxels (targets
 *       optionally normalised per patch: (t - mean) / sqrt(var + 1e-6), unbiased var, as MAE's
 *       norm_pix_loss).</li>
 * </ol>
 * There is no class token. Layer norms use eps 1e-6, MLP ratio from the config, qkv bias on.
 *
 * <p>Parameter names are the state_dict keys of the PyTorch reference
 * (tools/fixtures/make_maesil_fixtures.py), in this order: {@code patch_embed.proj.weight}
 * [width, 1, p, p, p], {@code patch_embed.proj.bias}, {@code blocks.i.*}, {@code norm.*},
 * {@code decoder_embed.*}, {@code mask_token} [1, 1, decoderWidth], {@code decoder_blocks.i.*},
 * {@code decoder_norm.*}, {@code decoder_pred.*}. The positional tables are fixed and not stored.
 *
 * <p>Initialisation (as MAE): Linear weights xavier-uniform, biases zero; patch weight
 * xavier-uniform on its [width, p^3] view; patch bias U(+-1/sqrt(p^3)) (PyTorch's Conv3d
 * default, which MAE keeps); mask token N(0, 0.02^2); norms one / zero. All drawn from one
 * {@link SplittableRandom} seeded with the init seed, in parameter order.
 */
public final class MaesilModel implements ReconstructionModel {
    private final MaesilConfig cfg;
    private final Backend be;
    private final DualMask masking;
    private final int n;      // tokens per superpatch
    private final int nv;     // visible tokens per superpatch
    private final int p3;     // voxels per patch

    public final Parameter patchWeight;
    public final Parameter patchBias;
    public final TransformerBlock[] blocks;
    public final LayerNorm norm;
    public final Linear decoderEmbed;
    public final Parameter maskToken;
    public final TransformerBlock[] decoderBlocks;
    public final LayerNorm decoderNorm;
    public final Linear decoderPred;
    private final List<Parameter> params;

    private final float[] posEnc;   // [N, width]
    private final float[] posDec;   // [N, decoderWidth]

    // per-batch state kept for backward (buffers reused while B stays the same)
    private int batch = -1;
    private int[] visible;          // [B, nv] token of visible slot j
    private int[] slot;             // [B, N] visible slot of token t, -1 if masked
    private DualMask.Sample[] samples;
    private Tensor patches;         // [B, N, p^3] the input, patchified
    private Tensor visPatches;      // [B, nv, p^3]
    private Tensor embedded;        // [B, nv, width]
    private Tensor full;            // [B, N, decoderWidth]
    private Tensor target;          // [B, N, p^3] (normalised targets) or == patches
    private Tensor rowWeight;       // [B * N] 1 for masked tokens
    private Tensor pred;            // [B, N, p^3] (reference to decoderPred's output)
    private Tensor dpred;           // [B, N, p^3]
    private Tensor dDecIn;          // [B, nv, decoderWidth]
    private Tensor mean, std;       // [B * N] per-patch stats (normPixLoss)

    public MaesilModel(MaesilConfig cfg, Backend backend, long initSeed) {
        this.cfg = cfg;
        this.be = backend;
        this.masking = cfg.masking();
        this.n = cfg.tokens();
        this.nv = masking.visibleCount();
        this.p3 = cfg.patchVoxels();
        int w = cfg.width();
        int wd = cfg.decoderWidth();
        int p = cfg.patch();
        SplittableRandom rng = new SplittableRandom(initSeed);

        patchWeight = new Parameter("patch_embed.proj.weight", new Tensor(w, 1, p, p, p), true);
        patchBias = new Parameter("patch_embed.proj.bias", new Tensor(w), false);
        Init.xavierUniform(patchWeight.value, p3, w, rng);
        Init.uniform(patchBias.value, 1.0 / Math.sqrt(p3), rng);
        maskToken = new Parameter("mask_token", new Tensor(1, 1, wd), false);
        Init.normal(maskToken.value, 0.0, 0.02, rng);

        // each stack's blocks share their temporaries (gradient buffers, qkv): one set per stack, not per block
        Workspace encoderScratch = new Workspace(), decoderScratch = new Workspace();
        blocks = new TransformerBlock[cfg.depth()];
        for (int i = 0; i < blocks.length; i++) {
            blocks[i] = new TransformerBlock(be, "blocks." + i, w, cfg.heads(), cfg.mlpRatio(), true, LayerNorm.MAE_EPS, rng)
                    .useWorkspace(encoderScratch);
        }
        norm = new LayerNorm(be, "norm", w, LayerNorm.MAE_EPS);
        decoderEmbed = new Linear(be, "decoder_embed", w, wd, true, rng);
        decoderBlocks = new TransformerBlock[cfg.decoderDepth()];
        for (int i = 0; i < decoderBlocks.length; i++) {
            decoderBlocks[i] = new TransformerBlock(be, "decoder_blocks." + i, wd, cfg.decoderHeads(), cfg.mlpRatio(),
                    true, LayerNorm.MAE_EPS, rng).useWorkspace(decoderScratch);
        }
        decoderNorm = new LayerNorm(be, "decoder_norm", wd, LayerNorm.MAE_EPS);
        decoderPred = new Linear(be, "decoder_pred", wd, p3, true, rng);

        List<Parameter> all = new ArrayList<>();
        all.add(patchWeight);
        all.add(patchBias);
        for (TransformerBlock b : blocks) all.addAll(b.parameters());
        all.addAll(norm.parameters());
        all.addAll(decoderEmbed.parameters());
        all.add(maskToken);
        for (TransformerBlock b : decoderBlocks) all.addAll(b.parameters());
        all.addAll(decoderNorm.parameters());
        all.addAll(decoderPred.parameters());
        this.params = Collections.unmodifiableList(all);

        this.posEnc = PositionalEmbedding3d.table(cfg.grid(), w);
        this.posDec = PositionalEmbedding3d.table(cfg.grid(), wd);
    }

    public MaesilConfig config() { return cfg; }
    public DualMask masking() { return masking; }

    @Override public String kind() { return "maesil"; }
    @Override public int superpatchSize() { return cfg.superpatch(); }
    @Override public List<Parameter> parameters() { return params; }
    @Override public String workUnit() { return "tokens"; }
    @Override public long workPerSample() { return n; }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("kind", "maesil");
        m.put("superpatch", cfg.superpatch());
        m.put("patch", cfg.patch());
        m.put("tokens", n);
        m.put("visibleTokens", nv);
        m.put("width", cfg.width());
        m.put("depth", cfg.depth());
        m.put("heads", cfg.heads());
        m.put("decoderWidth", cfg.decoderWidth());
        m.put("decoderDepth", cfg.decoderDepth());
        m.put("decoderHeads", cfg.decoderHeads());
        m.put("mlpRatio", cfg.mlpRatio());
        m.put("planeRatio", cfg.planeRatio());
        m.put("axisRatio", cfg.axisRatio());
        m.put("totalMaskRatio", masking.totalRatio());
        m.put("normPixLoss", cfg.normPixLoss());
        long count = 0;
        for (Parameter p : params) count += p.size();
        m.put("parameters", count);
        return m;
    }

    /** The masks drawn for the last forward pass, one per sample. */
    public DualMask.Sample[] lastMasks() { return samples.clone(); }

    @Override
    public StepResult trainStep(Tensor batchTensor, long seed) {
        forward(batchTensor, drawMasks(batchTensor, seed));
        double loss = be.mseLoss(pred.data, target.data, rowWeight.data, batch * n, p3);
        backward();
        return new StepResult(loss, Map.of());
    }

    /**
     * A forward and backward pass with masks given explicitly (one per sample): for parity
     * tests against a reference that uses the same masks.
     */
    public StepResult trainStep(Tensor batchTensor, DualMask.Sample[] masks) {
        forward(batchTensor, masks);
        double loss = be.mseLoss(pred.data, target.data, rowWeight.data, batch * n, p3);
        backward();
        return new StepResult(loss, Map.of());
    }

    /** The masked-token loss of a batch without a backward pass. */
    public double loss(Tensor batchTensor, long seed) {
        forward(batchTensor, drawMasks(batchTensor, seed));
        return be.mseLoss(pred.data, target.data, rowWeight.data, batch * n, p3);
    }

    @Override
    public Reconstruction reconstruct(Tensor batchTensor, long seed) {
        forward(batchTensor, drawMasks(batchTensor, seed));
        int s = cfg.superpatch();
        int vox = s * s * s;
        // model output in patch order; with normalised targets map back with each patch's own stats
        float[] out = new float[batch * n * p3];
        for (int r = 0; r < batch * n; r++) {
            for (int v = 0; v < p3; v++) {
                float y = pred.data[r * p3 + v];
                out[r * p3 + v] = cfg.normPixLoss() ? y * std.data[r] + mean.data[r] : y;
            }
        }
        // composite: visible patches from the input, masked ones from the model
        for (int r = 0; r < batch * n; r++) {
            if (rowWeight.data[r] == 0f) System.arraycopy(patches.data, r * p3, out, r * p3, p3);
        }
        Tensor image = new Tensor(batch, 1, s, s, s);
        Patchify.unpatchify(out, image.data, batch, s, cfg.patch());
        Tensor mask = new Tensor(batch, 1, s, s, s);
        for (int b = 0; b < batch; b++) {
            System.arraycopy(samples[b].voxelMask(cfg.patch()), 0, mask.data, b * vox, vox);
        }
        return new Reconstruction(image, mask);
    }

    // ------------------------------------------------------------------ internals

    private DualMask.Sample[] drawMasks(Tensor x, long seed) {
        int b = checkBatch(x);
        DualMask.Sample[] m = new DualMask.Sample[b];
        for (int i = 0; i < b; i++) m[i] = masking.draw(Rng.derive(seed, i));
        return m;
    }

    private int checkBatch(Tensor x) {
        int s = cfg.superpatch();
        if (x.rank() != 5 || x.dim(1) != 1 || x.dim(2) != s || x.dim(3) != s || x.dim(4) != s) {
            throw new IllegalArgumentException("MAESIL expects a batch [B, 1, " + s + ", " + s + ", " + s + "], got " + x);
        }
        return x.dim(0);
    }

    private void ensureBuffers(int b) {
        if (b == batch) return;
        batch = b;
        visible = new int[b * nv];
        slot = new int[b * n];
        patches = new Tensor(b, n, p3);
        visPatches = new Tensor(b, nv, p3);
        embedded = new Tensor(b, nv, cfg.width());
        full = new Tensor(b, n, cfg.decoderWidth());
        rowWeight = new Tensor(b * n);
        dpred = new Tensor(b, n, p3);
        dDecIn = new Tensor(b, nv, cfg.decoderWidth());
        target = cfg.normPixLoss() ? new Tensor(b, n, p3) : patches;
        mean = new Tensor(b * n);
        std = new Tensor(b * n);
    }

    private void forward(Tensor x, DualMask.Sample[] masks) {
        int b = checkBatch(x);
        if (masks.length != b) throw new IllegalArgumentException("need one mask per sample: " + masks.length + " for " + b);
        ensureBuffers(b);
        samples = masks.clone();
        for (int i = 0; i < b; i++) {
            DualMask.Sample m = masks[i];
            if (m.grid() != cfg.grid() || m.visible().length != nv) {
                throw new IllegalArgumentException("mask " + i + " does not fit this model's token grid and ratios");
            }
            java.util.Arrays.fill(slot, i * n, (i + 1) * n, -1);
            for (int j = 0; j < nv; j++) {
                visible[i * nv + j] = m.visible()[j];
                slot[i * n + m.visible()[j]] = j;
            }
            for (int t = 0; t < n; t++) rowWeight.data[i * n + t] = m.isMasked(t) ? 1f : 0f;
        }
        int w = cfg.width();
        Patchify.patchify(x.data, patches.data, b, cfg.superpatch(), cfg.patch());
        if (cfg.normPixLoss()) normaliseTargets();

        // patch embedding of the visible patches + their positions
        TokenKernels.gatherRows(patches.data, visible, visPatches.data, b, n, nv, p3);
        be.matmul(visPatches.data, patchWeight.value.data, embedded.data, b * nv, w, p3, false, true, false);
        be.addBias(embedded.data, patchBias.value.data, embedded.data, b * nv, w);
        TokenKernels.addGatheredPositions(embedded.data, posEnc, visible, b, nv, w);

        Tensor h = embedded;
        for (TransformerBlock blk : blocks) h = blk.forward(h);
        h = norm.forward(h);

        Tensor d = decoderEmbed.forward(h);
        int wd = cfg.decoderWidth();
        TokenKernels.scatterWithMaskToken(d.data, maskToken.value.data, slot, full.data, b, n, nv, wd);
        TokenKernels.addPositions(full.data, posDec, full.data, b, n, wd);
        Tensor g = full;
        for (TransformerBlock blk : decoderBlocks) g = blk.forward(g);
        g = decoderNorm.forward(g);
        pred = decoderPred.forward(g);
    }

    /** target = (patch - mean) / sqrt(var + 1e-6) per patch, var unbiased (torch.var default). */
    private void normaliseTargets() {
        for (int r = 0; r < batch * n; r++) {
            double s = 0;
            for (int v = 0; v < p3; v++) s += patches.data[r * p3 + v];
            double mu = s / p3;
            double ss = 0;
            for (int v = 0; v < p3; v++) {
                double dlt = patches.data[r * p3 + v] - mu;
                ss += dlt * dlt;
            }
            double var = p3 > 1 ? ss / (p3 - 1) : 0.0;
            double sd = Math.sqrt(var + 1e-6);
            mean.data[r] = (float) mu;
            std.data[r] = (float) sd;
            for (int v = 0; v < p3; v++) target.data[r * p3 + v] = (float) ((patches.data[r * p3 + v] - mu) / sd);
        }
    }

    private void backward() {
        int b = batch;
        int w = cfg.width();
        int wd = cfg.decoderWidth();
        be.mseLossBackward(pred.data, target.data, rowWeight.data, dpred.data, b * n, p3, 1f);
        Tensor g = decoderNorm.backward(decoderPred.backward(dpred));
        for (int i = decoderBlocks.length - 1; i >= 0; i--) g = decoderBlocks[i].backward(g);
        // g = d loss / d full (positions are constants)
        TokenKernels.maskTokenGrad(g.data, slot, maskToken.grad.data, b, n, wd);
        TokenKernels.gatherRows(g.data, visible, dDecIn.data, b, n, nv, wd);
        Tensor h = norm.backward(decoderEmbed.backward(dDecIn));
        for (int i = blocks.length - 1; i >= 0; i--) h = blocks[i].backward(h);
        // h = d loss / d embedded; embedded = visPatches W^T + bias (+ constants)
        be.matmul(h.data, visPatches.data, patchWeight.grad.data, w, p3, b * nv, true, false, false);
        be.sumRows(h.data, patchBias.grad.data, b * nv, w);
    }

    /** Visible tokens per superpatch (the same for every sample). */
    public int visibleTokens() { return nv; }
}
