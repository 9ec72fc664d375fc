package org.maesil.model.baselines;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.maesil.layers.Buffers;
import org.maesil.layers.init.Init;
import org.maesil.model.Rng;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * The VQ-VAE baseline ({@code --model vqvae}, van den Oord et al. 2017, with the EMA codebook of
 * their appendix): the encoder output z_e [B, D, S/f, S/f, S/f] (D = latent channels) is
 * quantised vector by vector to the nearest of K codes (codebook [K, D], squared Euclidean
 * distance, ties to the lower index); the decoder sees z_q.
 *
 * <p>Loss = recon + beta commit, recon the mean squared error over all voxels, commit the mean
 * of (z_e - sg(z_q))^2 over latent elements, beta = {@code commitment} (0.25). Gradient:
 * straight-through, d/dz_e = d/dz_q + 2 beta (z_e - z_q) / numel. The codebook has no gradient:
 * after each training step's backward pass, with the step's codes and z_e,
 * <pre>
 *   N_j = decay N_j + (1 - decay) n_j          (n_j: vectors assigned to code j in the batch)
 *   m_j = decay m_j + (1 - decay) sum z_e      (over those vectors)
 *   e_j = m_j / ((N_j + eps) / (sum N + K eps) sum N)     (Laplace smoothing)
 * </pre>
 * then every code with N_j below {@code deadThreshold} is restarted: e_j and m_j / (1 - decay)
 * become one of the batch's z_e vectors, drawn uniformly with replacement (codes in ascending
 * order, {@code new Rng(Rng.derive(seed, RESTART_STREAM)).nextInt(rows)} each), and
 * N_j = 1 - decay (as if used once in this step). N starts at 0 and m at 0, so the first step
 * restarts every code that batch did not use: the codebook is initialised from data.
 * Initial codebook: U(-1/K, 1/K).
 *
 * <p>Codebook, N and m are extra state ({@code quantizer.embedding}, {@code quantizer.ema_cluster_size},
 * {@code quantizer.ema_embed_sum}), saved in checkpoints, so resume is exact. Logged per step:
 * "recon", "commit", "perplexity" (exp of the entropy of the batch's code frequencies),
 * "codesUsed" (fraction of codes used in the batch, before restarts) and "restarts".
 */
public final class VqVae extends ConvBaseline {
    /** Seed stream of the dead-code restarts, derived from the step seed. */
    public static final long RESTART_STREAM = 0x7E57A27L;

    private final int k, d;
    private final Tensor codebook, clusterSize, embedSum;
    private final float[] count, sum;
    private int[] code = new int[0];
    /** The codebook transposed, [D, K] in double (for the code-parallel search), refreshed per quantize. */
    private double[] codebookT = new double[0];
    private Tensor zq, dz;

    public VqVae(BaselineConfig cfg, Backend backend, long initSeed) {
        super(cfg, backend, initSeed, "out");
        this.k = cfg.codebookSize();
        this.d = cfg.latentChannels();
        codebook = new Tensor(k, d);
        clusterSize = new Tensor(k);
        embedSum = new Tensor(k, d);
        count = new float[k];
        sum = new float[k * d];
        // after the network's weights, from the same seed's stream continued
        SplittableRandom rng = new SplittableRandom(initSeed ^ 0x5EEDC0DEL);
        Init.uniform(codebook, 1.0 / k, rng);
    }

    @Override public String kind() { return "vqvae"; }

    public Tensor codebook() { return codebook; }
    public Tensor clusterSize() { return clusterSize; }
    public Tensor embedSum() { return embedSum; }

    @Override
    public Map<String, Tensor> extraState() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("quantizer.embedding", codebook);
        m.put("quantizer.ema_cluster_size", clusterSize);
        m.put("quantizer.ema_embed_sum", embedSum);
        return m;
    }

    @Override
    public StepResult trainStep(Tensor batch, long seed) {
        int b = checkBatch(batch);
        Tensor ze = trunk.forward(batch);
        ze = heads[0].forward(ze);
        int l = ze.size() / (b * d);
        int rows = b * l;
        quantize(ze, b);
        Tensor pred = decoder.forward(zq);
        double recon = reconstructionLoss(pred, batch);
        int n = ze.size();
        double commit = LatentKernels.squaredDistanceSum(ze.data, zq.data, n) / n;
        double beta = cfg.commitment();
        double loss = recon + beta * commit;

        Tensor dzq = decoder.backward(reconstructionGradient(pred, batch));
        dz = Buffers.ensure(dz, ze.shape());
        float scale = (float) (2.0 * beta / n);
        for (int i = 0; i < n; i++) LatentKernels.straightThroughElement(ze.data, zq.data, dzq.data, dz.data, scale, i);
        trunk.backward(heads[0].backward(dz));

        // codebook: EMA of the step's assignments, then dead-code restarts
        for (int j = 0; j < k; j++) LatentKernels.codeStatisticsRow(ze.data, code, count, sum, d, l, rows, j);
        double entropy = 0.0;
        int used = 0;
        for (int j = 0; j < k; j++) {
            if (count[j] > 0) {
                double p = count[j] / rows;
                entropy -= p * Math.log(p);
                used++;
            }
        }
        float decay = (float) cfg.decay();
        for (int j = 0; j < k; j++) LatentKernels.emaRow(count, sum, clusterSize.data, embedSum.data, decay, d, j);
        double total = 0.0;
        for (int j = 0; j < k; j++) total += clusterSize.data[j];
        for (int j = 0; j < k; j++) {
            LatentKernels.codebookFromEmaRow(clusterSize.data, embedSum.data, codebook.data, total, (float) cfg.emaEps(), k, d, j);
        }
        int restarts = restartDeadCodes(ze, l, rows, Rng.derive(seed, RESTART_STREAM));

        Map<String, Double> extras = new LinkedHashMap<>();
        extras.put("recon", recon);
        extras.put("commit", commit);
        extras.put("perplexity", Math.exp(entropy));
        extras.put("codesUsed", (double) used / k);
        extras.put("restarts", (double) restarts);
        return new StepResult(loss, extras);
    }

    /** Codes below the dead threshold take a random batch vector (see the class comment); returns how many. */
    private int restartDeadCodes(Tensor ze, int l, int rows, long seed) {
        if (cfg.deadThreshold() <= 0) return 0;
        Rng rng = new Rng(seed);
        float fresh = (float) (1.0 - cfg.decay());
        int restarts = 0;
        for (int j = 0; j < k; j++) {
            if (clusterSize.data[j] < cfg.deadThreshold()) {
                int r = rng.nextInt(rows);
                int b = r / l;
                int base = b * d * l + (r - b * l);
                for (int ch = 0; ch < d; ch++) {
                    float v = ze.data[base + ch * l];
                    codebook.data[j * d + ch] = v;
                    embedSum.data[j * d + ch] = fresh * v;
                }
                clusterSize.data[j] = fresh;
                restarts++;
            }
        }
        return restarts;
    }

    /** Fills code (per latent vector) and zq from ze with the current codebook. */
    private void quantize(Tensor ze, int b) {
        int l = ze.size() / (b * d);
        int rows = b * l;
        if (code.length != rows) code = new int[rows];
        // rows are independent (each writes its own code): blocks of rows spread over the common
        // fork-join pool (the search was a quarter of a demo VQ-VAE step)
        if (codebookT.length != d * k) codebookT = new double[d * k];
        for (int j = 0; j < k; j++) {
            for (int ch = 0; ch < d; ch++) codebookT[ch * k + j] = codebook.data[j * d + ch];
        }
        int[] codes = code;
        float[] zd = ze.data;
        double[] cbT = codebookT;
        int blocks = (rows + 63) / 64;
        java.util.stream.IntStream.range(0, blocks).parallel().forEach(blk -> {
            double[] dist = new double[k];
            for (int r = blk * 64; r < Math.min(rows, blk * 64 + 64); r++) {
                LatentKernels.nearestCodeRow(zd, cbT, dist, codes, d, l, k, r);
            }
        });
        zq = Buffers.ensure(zq, ze.shape());
        for (int i = 0; i < zq.size(); i++) LatentKernels.quantizeElement(codebook.data, code, zq.data, d, l, i);
    }

    /** The codes of the last forward pass, one per latent vector (row b l + p). */
    public int[] lastCodes() { return code.clone(); }

    @Override
    public Reconstruction reconstruct(Tensor batch, long seed) {
        int b = checkBatch(batch);
        quantize(heads[0].forward(trunk.forward(batch)), b);
        return new Reconstruction(copyOf(decoder.forward(zq)), null);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = super.describe();
        m.put("codebookSize", k);
        m.put("codeDim", d);
        m.put("commitment", cfg.commitment());
        m.put("decay", cfg.decay());
        m.put("emaEps", cfg.emaEps());
        m.put("deadThreshold", cfg.deadThreshold());
        return m;
    }
}
