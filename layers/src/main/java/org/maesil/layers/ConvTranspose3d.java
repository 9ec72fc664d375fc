package org.maesil.layers;

import java.util.List;
import java.util.SplittableRandom;
import org.maesil.layers.init.Init;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Conv3dGeometry;
import org.maesil.tensor.Tensor;

/**
 * 3D transposed convolution, as PyTorch's
 * {@code nn.ConvTranspose3d(cin, cout, k, stride, padding, output_padding, bias)} with a cubic
 * kernel, equal stride/padding on every axis (no dilation, no groups).
 *
 * <p>Input x: [N, cin, D, H, W]; output [N, cout, D', H', W'] with
 * D' = (D - 1) stride - 2 pad + k + outputPadding (0 <= outputPadding < stride). Weight
 * {@code prefix.weight} stored as PyTorch does: [cin, cout, k, k, k] (decayed); bias
 * {@code prefix.bias} [cout] (no decay). {@code ConvTranspose3d(c, c2, k=s, stride=s)} exactly
 * undoes the shape change of {@code Conv3d(c2, c, k=s, stride=s)}.
 *
 * <p>Mapping to the engine: this is the adjoint of a convolution whose {@link Conv3dGeometry}
 * has cin = this cout, cout = this cin, input size D' and output size D; the PyTorch weight
 * [cin, cout, k^3] is that geometry's [g.cout, g.cin, k^3] weight, the very same array.
 *
 * <p>Initialisation when an rng is given: torch.nn.init.xavier_uniform_ on the 5D weight, bias zero.
 */
public final class ConvTranspose3d implements Layer {
    public final int cin, cout, kernel, stride, pad, outputPadding;
    public final Parameter weight;
    /** Null when the layer has no bias. */
    public final Parameter bias;
    private final Backend be;
    private final String name;
    private boolean inputGrad = true;

    private Conv3dGeometry g;
    private int[] inShape;
    private Tensor x, y, dx;

    /** @param rng draws the weight; null leaves weight and bias zero (for loading) */
    public ConvTranspose3d(Backend backend, String prefix, int cin, int cout, int kernel, int stride, int pad,
                           int outputPadding, boolean bias, SplittableRandom rng) {
        if (cin < 1 || cout < 1 || kernel < 1 || stride < 1 || pad < 0 || outputPadding < 0 || outputPadding >= stride) {
            throw new IllegalArgumentException(prefix + ": bad ConvTranspose3d sizes cin=" + cin + " cout=" + cout
                    + " k=" + kernel + " stride=" + stride + " pad=" + pad + " outputPadding=" + outputPadding
                    + " (need 0 <= outputPadding < stride)");
        }
        this.be = backend;
        this.name = prefix;
        this.cin = cin;
        this.cout = cout;
        this.kernel = kernel;
        this.stride = stride;
        this.pad = pad;
        this.outputPadding = outputPadding;
        this.weight = new Parameter(Module.join(prefix, "weight"), new Tensor(cin, cout, kernel, kernel, kernel), true);
        this.bias = bias ? new Parameter(Module.join(prefix, "bias"), new Tensor(cout), false) : null;
        if (rng != null) Init.xavierUniform(weight.value, rng);
    }

    /** Switches the input gradient off (backward then returns null). */
    public ConvTranspose3d computeInputGradient(boolean on) { this.inputGrad = on; return this; }

    @Override
    public List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    /** Output size along one axis for input size {@code in}. */
    public int outputSize(int in) { return (in - 1) * stride - 2 * pad + kernel + outputPadding; }

    /** Output shape for an input shape [N, cin, D, H, W]. */
    public int[] outputShape(int... s) {
        if (s.length != 5 || s[1] != cin) {
            throw new IllegalArgumentException(name + ": input shape " + java.util.Arrays.toString(s)
                    + " must be [N, " + cin + ", D, H, W]");
        }
        int d = outputSize(s[2]), h = outputSize(s[3]), w = outputSize(s[4]);
        if (d < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException(name + ": input shape " + java.util.Arrays.toString(s) + " gives an empty output");
        }
        return new int[] {s[0], cout, d, h, w};
    }

    /** The convolution geometry this layer is the adjoint of, for the last forward (null before). */
    public Conv3dGeometry geometry() { return g; }

    @Override
    public Tensor forward(Tensor x) {
        if (g == null || !Buffers.sameShape(x, inShape)) {
            int[] o = outputShape(x.shape());
            g = new Conv3dGeometry(o[0], cout, cin, o[2], o[3], o[4],
                    kernel, kernel, kernel, stride, stride, stride, pad, pad, pad);
            if (g.outD() != x.dim(2) || g.outH() != x.dim(3) || g.outW() != x.dim(4)) {
                throw new IllegalStateException(name + ": geometry " + g + " does not invert input " + x);
            }
            inShape = x.shape();
        }
        this.x = x;
        y = Buffers.ensure(y, g.n(), cout, g.inD(), g.inH(), g.inW());
        be.convTranspose3dForward(x.data, weight.value.data, bias == null ? null : bias.value.data, y.data, g);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        Buffers.requireShape(name, "output gradient", dy, y.shape());
        be.convTranspose3dBackwardWeight(x.data, dy.data, weight.grad.data, bias == null ? null : bias.grad.data, g);
        if (!inputGrad) return null;
        dx = Buffers.ensure(dx, x.shape());
        be.convTranspose3dBackwardInput(dy.data, weight.value.data, dx.data, g);
        return dx;
    }
}
