package org.maesil.layers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.function.BiFunction;
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
 * by their state_dict keys). Bound: relative error (see {@link Fixtures}) at most 1e-4. Each
 * layer runs on both schedules of the Java backend: the reference kernels (the code the
 * TornadoVM backend runs) and the CPU fast paths.
 */
class TorchParityTest {
    static final double TOL = 1e-4;
    static Backend reference, fast;

    @BeforeAll
    static void start() {
        reference = new JavaBackend(2, false);
        fast = new JavaBackend(2, true);
    }

    @AfterAll
    static void stop() {
        reference.close();
        fast.close();
    }

    /** {@link #check(String, Backend, BiFunction)} on both schedules. */
    static void check(String file, BiFunction<Backend, Checkpoint.Contents, Layer> make) {
        check(file, reference, make);
        check(file, fast, make);
    }

    /** Builds the layer from the fixture's metadata, loads weights, checks y, dx and all grads. */
    static Layer check(String file, Backend be, BiFunction<Backend, Checkpoint.Contents, Layer> make) {
        Checkpoint.Contents c = Fixtures.load(file);
        Layer layer = make.apply(be, c);
        file = file + (be == reference ? " ref" : " fast");
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
        return layer;
    }

    @Test
    void linear() {
        check("layer_linear.safetensors", (be, c) -> new Linear(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "in_features"), Fixtures.intMeta(c, "out_features"), true, null));
    }

    @Test
    void layerNorm() {
        check("layer_layernorm.safetensors", (be, c) -> new LayerNorm(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), (float) Fixtures.doubleMeta(c, "eps")));
    }

    @Test
    void mlp() {
        check("layer_mlp.safetensors", (be, c) -> new Mlp(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "hidden"), null));
    }

    @Test
    void attention() {
        for (Backend be : new Backend[] {reference, fast}) {
            MultiHeadSelfAttention a = (MultiHeadSelfAttention) check("layer_attention.safetensors", be,
                    (b, c) -> new MultiHeadSelfAttention(b, c.metadata().get("prefix"), Fixtures.intMeta(c, "dim"),
                            Fixtures.intMeta(c, "heads"), Boolean.parseBoolean(c.metadata().get("qkv_bias")), null));
            // softmax is shift invariant, so the key third of the qkv bias has an exactly zero
            // gradient; in float32 only rounding noise is left (see the MultiHeadSelfAttention javadoc)
            float[] g = a.qkv.bias.grad.data;
            double q = 0, k = 0;
            for (int i = 0; i < a.dim; i++) {
                q = Math.max(q, Math.abs(g[i]));
                k = Math.max(k, Math.abs(g[a.dim + i]));
            }
            System.out.printf("attention key-bias gradient (%s): max %.2e vs query-bias max %.2e%n", be == reference ? "reference" : "fast paths", k, q);
            assertThat(k).isLessThan(1e-5 * q);
        }
    }

    @Test
    void transformerBlock() {
        check("layer_block.safetensors", (be, c) -> new TransformerBlock(be, c.metadata().get("prefix"),
                Fixtures.intMeta(c, "dim"), Fixtures.intMeta(c, "heads"), Fixtures.doubleMeta(c, "mlp_ratio"),
                Boolean.parseBoolean(c.metadata().get("qkv_bias")), (float) Fixtures.doubleMeta(c, "eps"), null));
    }

    @Test
    void conv3d() {
        for (String f : new String[] {"layer_conv3d.safetensors", "layer_conv3d_patch.safetensors"}) {
            check(f, (be, c) -> new Conv3d(be, c.metadata().get("prefix"), Fixtures.intMeta(c, "cin"), Fixtures.intMeta(c, "cout"),
                    Fixtures.intMeta(c, "kernel"), Fixtures.intMeta(c, "stride"), Fixtures.intMeta(c, "pad"), true, null));
        }
    }

    @Test
    void convTranspose3d() {
        for (String f : new String[] {"layer_convtranspose3d.safetensors", "layer_convtranspose3d_k2.safetensors"}) {
            check(f, (be, c) -> new ConvTranspose3d(be, c.metadata().get("prefix"), Fixtures.intMeta(c, "cin"),
                    Fixtures.intMeta(c, "cout"), Fixtures.intMeta(c, "kernel"), Fixtures.intMeta(c, "stride"),
                    Fixtures.intMeta(c, "pad"), Fixtures.intMeta(c, "output_padding"), true, null));
        }
    }
}
