package org.maesil.layers;

import java.util.List;
import org.maesil.tensor.Backend;
import org.maesil.tensor.Tensor;

/** ReLU activation as PyTorch's {@code nn.ReLU()}: y = x < 0 ? 0 : x. Any shape; no parameters. */
public final class Relu implements Layer {
    private final Backend be;
    private Tensor x, y, dx;

    public Relu(Backend backend) { this.be = backend; }

    @Override
    public List<Parameter> parameters() { return List.of(); }

    @Override
    public Tensor forward(Tensor x) {
        this.x = x;
        y = Buffers.ensure(y, x.shape());
        be.reluForward(x.data, y.data, x.size());
        return y;
    }

    @Override
    public Tensor backward(Tensor dy) {
        if (x == null) throw new IllegalStateException("Relu: backward before forward");
        Buffers.requireShape("Relu", "output gradient", dy, x.shape());
        dx = Buffers.ensure(dx, x.shape());
        be.reluBackward(x.data, dy.data, dx.data, x.size());
        return dx;
    }
}
