package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.maesil.layers.io.Checkpoint;
import org.maesil.layers.optim.AdamW;
import org.maesil.layers.optim.WarmupCosineSchedule;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * Five AdamW steps on a transformer block, learning rate from MAE's warm-up + cosine schedule at
 * fractional epochs, against torch.optim.AdamW (two param groups: decay on weights, none on biases
 * and norms). Compares the lr and loss of every step, then the final weights and both moments.
 */
class AdamWParityTest {

    @Test
    void fiveStepsMatchPyTorch() {
        run(false);
        run(true);
    }

    /** With the reference kernels (fastPaths false) or the CPU fast paths. */
    static void run(boolean fastPaths) {
        Checkpoint.Contents c = Fixtures.load("layer_adamw.safetensors");
        String prefix = c.metadata().get("prefix");
        String tag = "layer_adamw " + (fastPaths ? "fast" : "ref");
        try (Backend be = new JavaBackend(2, fastPaths)) {
            TransformerBlock block = new TransformerBlock(be, prefix, Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "heads"),
                    4.0, Boolean.parseBoolean(c.metadata().get("qkv_bias")), LayerNorm.MAE_EPS, null);
            Checkpoint.applyParameters(c, block.parameters());
            for (Parameter p : block.parameters()) {
                // PyTorch grouping in the script: decay iff ndim > 1 and not a bias
                assertThat(p.decay).as(p.name + " decay").isEqualTo(p.value.rank() > 1 && !p.name.endsWith(".bias"));
            }
            AdamW opt = new AdamW(be, block.parameters(), (float) Fixtures.doubleMeta(c, "beta1"),
                    (float) Fixtures.doubleMeta(c, "beta2"), (float) Fixtures.doubleMeta(c, "eps"),
                    (float) Fixtures.doubleMeta(c, "weight_decay"));
            WarmupCosineSchedule sched = new WarmupCosineSchedule(Fixtures.doubleMeta(c, "base_lr"),
                    Fixtures.doubleMeta(c, "min_lr"), Fixtures.doubleMeta(c, "warmup_epochs"), Fixtures.doubleMeta(c, "epochs"));
            int steps = Fixtures.intMeta(c, "steps");
            int perEpoch = Fixtures.intMeta(c, "steps_per_epoch");
            Tensor x = c.require("x");
            Tensor target = c.require("target");
            Tensor dy = new Tensor(x.shape());
            double worst = 0;
            for (int s = 0; s < steps; s++) {
                double lr = sched.lr(WarmupCosineSchedule.epochs(s, perEpoch));
                double refLr = c.require("lr").data[s];
                assertThat(lr).as("lr at step " + s).isCloseTo(refLr, org.assertj.core.data.Offset.offset(1e-7 * Math.max(1, refLr)));
                Tensor y = block.forward(x);
                double loss = 0;
                for (int i = 0; i < y.size(); i++) {
                    double d = (double) y.data[i] - target.data[i];
                    loss += 0.5 * d * d;
                    dy.data[i] = (float) d;
                }
                double refLoss = c.require("loss").data[s];
                double lossErr = Math.abs(loss - refLoss) / Math.abs(refLoss);
                System.out.printf("parity %s step %d lr %.6g loss %.6f (torch %.6f) relErr %.2e%n", tag, s, lr, loss, refLoss, lossErr);
                worst = Math.max(worst, lossErr);
                block.backward(dy);
                opt.step(lr);
            }
            assertThat(opt.stepCount()).isEqualTo(steps);
            for (Parameter p : block.parameters()) {
                worst = Math.max(worst, Fixtures.compare(tag, "final." + p.name, p.value, c.require("final." + p.name)));
            }
            for (var e : opt.stateTensors().entrySet()) {
                worst = Math.max(worst, Fixtures.compare(tag, e.getKey(), e.getValue(), c.require(e.getKey())));
            }
            assertThat(worst).as("worst relative error after " + steps + " AdamW steps").isLessThanOrEqualTo(1e-4);
        }
    }
}
