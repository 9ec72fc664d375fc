package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.maesil.layers.io.Checkpoint;
import org.maesil.tensor.Backend;
import org.maesil.tensor.JavaBackend;
import org.maesil.tensor.Tensor;

/**
 * Forward output, input gradient and every parameter gradient of each layer against PyTorch
 * (float64 references from tools/fixtures/make_layer_fixtures.py, shared initial weights loaded
 * by their state_dict keys). Bound: relative error (see {@link Fixtures}) at most 1e-4.
 */
class TorchParityTest {
    static final double TOL = 1e-4;
    static Backend be;

    @BeforeAll
    static void start() { be = new JavaBackend(2); }

    @AfterAll
    static void stop() { be.close(); }

    /** Builds the layer from the fixture's metadata, loads weights, checks y, dx and all grads. */
    static void check(String file, Function<Checkpoint.Contents, Layer> make) {
        Checkpoint.Contents c = Fixtures.load(file);
        Layer layer = make.apply(c);
        Checkpoint.applyParameters(c, layer.parameters());
        assertThat(layer.parameters()).as("parameters").isNotEmpty();
        // every tensor of the PyTorch state_dict is a parameter of the Java layer
        String prefix = c.metadata().get("prefix") + ".";
        long stateKeys = c.tensors().keySet().stream().filter(k -> k.startsWith(prefix)).count();
        assertThat((long) layer.parameters().size()).as(file + " parameter count").isEqualTo(stateKeys);

        Tensor y = layer.forward(c.require("x"));
        double worst = Fixtures.compare(file, "y", y, c.require("y"));
        Tensor dx = layer.backward(c.require("dy"));
        worst = Math.max(worst, Fixtures.compare(file, "dx", dx, c.require("dx")));
        for (Parameter p : layer.parameters()) {
            worst = Math.max(worst, Fixtures.compare(file, "grad." + p.name, p.grad, c.require("grad." + p.name)));
        }
        assertThat(worst).as(file + " worst relative error").isLessThanOrEqualTo(TOL);
    }

    @Test
    void linear() {
        check("layer_linear.safetensors", c -> new Linear(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "in_features"), Fixtures.intMeta(c, "out_features"), true, null));
    }

    @Test
    void layerNorm() {
        check("layer_layernorm.safetensors", c -> new LayerNorm(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), (float) Fixtures.doubleMeta(c, "eps")));
    }

    @Test
    void mlp() {
        check("layer_mlp.safetensors", c -> new Mlp(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "hidden"), null));
    }

    @Test
    void attention() {
        MultiHeadSelfAttention[] made = new MultiHeadSelfAttention[1];
        check("layer_attention.safetensors", c -> made[0] = new MultiHeadSelfAttention(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "heads"), Boolean.parseBoolean(c.metadata().get("qkv_bias")), null));
        // softmax is shift invariant, so the key third of the qkv bias has an exactly zero
        // gradient; in float32 only rounding noise is left (see the MultiHeadSelfAttention javadoc)
        float[] g = made[0].qkv.bias.grad.data;
        int d = made[0].dim;
        double q = 0, k = 0;
        for (int i = 0; i < d; i++) {
            q = Math.max(q, Math.abs(g[i]));
            k = Math.max(k, Math.abs(g[d + i]));
        }
        System.out.printf("attention key-bias gradient: max %.2e vs query-bias max %.2e%n", k, q);
        assertThat(k).isLessThan(1e-5 * q);
    }

    @Test
    void transformerBlock() {
        check("layer_block.safetensors", c -> new TransformerBlock(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "heads"), Fixtures.doubleMeta(c, "mlp_ratio"),
                Boolean.parseBoolean(c.metadata().get("qkv_bias")), (float) Fixtures.doubleMeta(c, "eps"), null));
    }

    @Test
    void conv3d() {
        for (String f : new String[] {"layer_conv3d.safetensors", "layer_conv3d_patch.safetensors"}) {
            check(f, c -> new Conv3d(be, c.metadata().get("prefix"), Fixtures.intMeta(c, "cin"), Fixtures.intMeta(c, "cout"),
                    Fixtures.intMeta(c, "kernel"), Fixtures.intMeta(c, "stride"), Fixtures.intMeta(c, "pad"), true, null));
        }
    }

    @Test
    void convTranspose3d() {
        for (String f : new String[] {"layer_convtranspose3d.safetensors", "layer_convtranspose3d_k2.safetensors"}) {
            check(f, c -> new ConvTranspose3d(be, c.metadata().get("prefix"), Fixtures.intMeta(c, "cin"),
                    Fixtures.intMeta(c, "cout"), Fixtures.intMeta(c, "kernel"), Fixtures.intMeta(c, "stride"),
                    Fixtures.intMeta(c, "pad"), Fixtures.intMeta(c, "output_padding"), true, null));
        }
    }
}
