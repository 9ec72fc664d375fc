package org.maesil.layers;

import java.util.ArrayList;
import java.util.List;
import org.maesil.tensor.Tensor;

/**
 * Layers applied one after another; backward runs them in reverse. Parameters are the
 * concatenation of the layers' parameters, in order (their names are whatever each layer was
 * given, so give them the PyTorch keys of the model you mirror, e.g. "encoder.0.weight").
 * Backward returns null when the first layer's input gradient is switched off.
 */
public final class Sequential implements Layer {
    private final List<Layer> layers;

    public Sequential(List<? extends Layer> layers) {
        if (layers.isEmpty()) throw new IllegalArgumentException("Sequential needs at least one layer");
        this.layers = List.copyOf(layers);
    }

    public Sequential(Layer... layers) { this(List.of(layers)); }

    public List<Layer> layers() { return layers; }

    @Override
    public List<Parameter> parameters() {
        List<Parameter> p = new ArrayList<>();
        for (Layer l : layers) p.addAll(l.parameters());
        return p;
    }

    @Override
    public Tensor forward(Tensor x) {
        for (Layer l : layers) x = l.forward(x);
        return x;
    }

    @Override
    public Tensor backward(Tensor dy) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            dy = layers.get(i).backward(dy);
            if (dy == null && i > 0) {
                throw new IllegalStateException("Sequential: layer " + i + " has its input gradient switched off,"
                        + " but the layers before it need one");
            }
        }
        return dy;
    }
}
