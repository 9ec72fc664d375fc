package org.maesil.layers;

import java.util.List;
import java.util.SplittableRandom;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Tensor;

/**
 * 3D convolution, as PyTorch's {@code nn.Conv3d(cin, cout, k, stride, padding, bias)} with a
 * cubic kernel and equal stride and zero padding on every axis (no dilation, no groups).
 *
 * <p>Input x: [N, cin, D, H, W] (NCDHW); output [N, cout, D', H', W'] with
 * D' = (D + 2 pad - k) / stride + 1. Weight {@code prefix.weight} [cout, cin, k, k, k] (decayed),
 * bias {@code prefix.bias} [cout] (no decay). A patch embedding is {@code k = stride = patch}, pad 0.
 *
 * <p>Initialisation when an rng is given: torch.nn.init.xavier_uniform_ on the 5D weight
 * (fanIn = cin k^3, fanOut = cout k^3), bias zero. MAE's patch embedding instead uses xavier on
 * the weight viewed as [cout, cin k^3]; re-initialise it with
 * {@code Init.xavierUniform(conv.weight.value, cin * k * k * k, cout, rng)}.
 * See {@link Layer} for the forward/backward and buffer contract.
 */
public final class Conv3d implements Layer {
    public final int cin, cout, kernel, stride, pad;
    public final Parameter weight;
    /** Null when the layer has no bias. */
    public final Parameter bias;
    private final Backend be;
    private final String name;
    private boolean inputGrad = true;

    private Conv3dGeometry g;
    private Tensor x, y, dx;

    /** @param rng draws the weight (see class comment); null leaves weight and bias zero (for loading) */
    public Conv3d(Backend backend, String prefix, int cin, int cout, int kernel, int stride, int pad,
                  boolean bias, SplittableRandom rng) {
        if (cin < 1 || cout < 1 || kernel < 1 || stride < 1 || pad < 0) {
            throw new IllegalArgumentException(prefix + ": bad Conv3d sizes cin=" + cin + " cout=" + cout
                    + " k=" + kernel + " stride=" + stride + " pad=" + pad);
        }
        this.be = backend;
        this.name = prefix;
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
        this.weight = new Parameter(Module.join(prefix, "weight"), new Tensor(cout, cin, kernel, kernel, kernel), true);
        this.bias = bias ? new Parameter(Module.join(prefix, "bias"), new Tensor(cout), false) : null;
        if (rng != null) Init.xavierUniform(weight.value, rng);
    }

    /** Switches the input gradient off (backward then returns null), e.g. for a layer on the raw image. */
    public Conv3d computeInputGradient(boolean on) { this.inputGrad = on; return this; }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    /** The geometry of the last forward call (null before the first). */
    public Conv3dGeometry geometry() { return g; }

    /** Output shape for an input shape [N, cin, D, H, W]. */
    public int[] outputShape(int... inShape) {
        Conv3dGeometry t = geometryFor(inShape);
        return new int[] {t.n(), cout, t.outD(), t.outH(), t.outW()};
    }

    private Conv3dGeometry geometryFor(int[] s) {
        if (s.length != 5 || s[1] != cin) {
            throw new IllegalArgumentException(name + ": input shape " + java.util.Arrays.toString(s)
                    + " must be [N, " + cin + ", D, H, W]");
        }
        return Conv3dGeometry.cubic(s[0], cin, cout, s[2], s[3], s[4], kernel, stride, pad);
    }

    @Override
    public Tensor forward(Tensor x) {
        if (g == null || !Buffers.sameShape(x, g.n(), cin, g.inD(), g.inH(), g.inW())) g = geometryFor(x.shape());
        this.x = x;
        y = Buffers.ensure(y, g.n(), cout, g.outD(), g.outH(), g.outW());
        be.conv3dForward(x.data, weight.value.data, bias == null ? null : bias.value.data, y.data, g);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, y.shape());
        be.conv3dBackwardWeight(x.data, dy.data, weight.grad.data, bias == null ? null : bias.grad.data, g);
        if (!inputGrad) return null;
        dx = Buffers.ensure(dx, x.shape());
        be.conv3dBackwardInput(dy.data, weight.value.data, dx.data, g);
        return dx;
    }
}
