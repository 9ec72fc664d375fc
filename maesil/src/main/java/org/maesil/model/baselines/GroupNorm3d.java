package org.maesil.model.baselines;

import java.util.List;
import org.maesil.layers.Buffers;
import org.maesil.layers.Layer;
import org.maesil.layers.Module;
import org.maesil.layers.Parameter;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/**
 * Group normalisation of a volume batch [N, C, D, H, W], as PyTorch's
 * {@code nn.GroupNorm(groups, C, eps)}: each sample's C channels are split into {@code groups}
 * groups of consecutive channels, each normalised over its channels and voxels (biased
 * variance), then scaled and shifted per channel. Parameters {@code prefix.weight} (ones) and
 * {@code prefix.bias} (zeros), no weight decay. Kernel: {@code kernels.GroupNorm} through
 * {@link Backend#groupNormForward}. See {@link Layer} for the buffer contract.
 */
public final class GroupNorm3d implements Layer {
    /** PyTorch's default eps of nn.GroupNorm. */
    public static final float EPS = 1e-5f;

    public final int channels, groups;
    public final Parameter weight, bias;
    private final Backend be;
    private final String name;
    private Tensor x, y, dx, mean, rstd;

    public GroupNorm3d(Backend backend, String prefix, int channels, int groups) {
        if (groups < 1 || channels < 1 || channels % groups != 0) {
            throw new IllegalArgumentException(prefix + ": " + channels + " channels cannot be split into " + groups + " groups");
        }
        this.be = backend;
        this.name = prefix;
        this.channels = channels;
        this.groups = groups;
        this.weight = new Parameter(Module.join(prefix, "weight"), new Tensor(channels), false);
        this.bias = new Parameter(Module.join(prefix, "bias"), new Tensor(channels), false);
        weight.value.fill(1f);
    }

    @Override
    public List<Parameter> parameters() { return List.of(weight, bias); }

    @Override
    public Tensor forward(Tensor x) {
        if (x.rank() < 3 || x.dim(1) != channels) {
            throw new IllegalArgumentException(name + ": input " + x + " must be [N, " + channels + ", ...]");
        }
        int n = x.dim(0);
        this.x = x;
        y = Buffers.ensure(y, x.shape());
        mean = Buffers.ensure(mean, n * groups);
        rstd = Buffers.ensure(rstd, n * groups);
        be.groupNormForward(x.data, weight.value.data, bias.value.data, y.data, mean.data, rstd.data,
                n, channels, x.size() / (n * channels), groups, EPS);
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException(name + ": backward before forward");
        if (!Buffers.sameShape(dy, x.shape())) throw new IllegalArgumentException(name + ": output gradient " + dy + " does not match " + x);
        int n = x.dim(0);
        dx = Buffers.ensure(dx, x.shape());
        be.groupNormBackward(x.data, weight.value.data, mean.data, rstd.data, dy.data, dx.data,
                weight.grad.data, bias.grad.data, n, channels, x.size() / (n * channels), groups);
        return dx;
    }
}
