package org.maesil.layers;

import org.maesil.tensor.Tensor;

/**
 * A trainable tensor with its gradient. {@code decay} says whether AdamW applies weight decay
 * to it (weights yes; biases, norm scales and shifts, embeddings-like tokens no).
 */
public final class Parameter {
    public final String name;
    public final Tensor value;
    public final Tensor grad;
    public final boolean decay;

    public Parameter(String name, Tensor value, boolean decay) {
        this.name = name;
        this.value = value;
        this.grad = new Tensor(value.shape());
        this.decay = decay;
    }

    public int size() { return value.size(); }

    @Override
    public String toString() { return name + value; }
}
