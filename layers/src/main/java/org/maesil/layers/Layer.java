package org.maesil.layers;

import org.maesil.tensor.Tensor;

/**
 * A differentiable step of a network with hand-written backward pass (no autograd tape).
 *
 * <p>Contract, shared by every layer of this package:
 * <ul>
 *   <li>{@link #forward} computes the output and keeps what {@link #backward} needs: a reference
 *       to the input tensor (not a copy: do not change the input's data until backward has run)
 *       and any intermediate results.</li>
 *   <li>{@link #backward} takes the gradient of the loss with respect to the last forward's
 *       output and returns the gradient with respect to its input. It <b>overwrites</b> the
 *       {@link Parameter#grad} of every parameter (no accumulation: one forward, one backward,
 *       one optimiser step). A layer whose input gradient was switched off returns {@code null}.</li>
 *   <li>Returned tensors are buffers owned by the layer and reused by the next call with the
 *       same shape: the output of {@code forward} stays valid until the next {@code forward},
 *       the gradient returned by {@code backward} until the next {@code backward}. Copy them
 *       if they must outlive that. Buffers are allocated lazily, and again only when the input
 *       shape changes, so a training loop with fixed shapes allocates nothing per step.</li>
 *   <li>A layer instance remembers one forward call. Using the same instance twice in one
 *       forward pass (weight sharing) is not supported.</li>
 * </ul>
 */
public interface Layer extends Module {

    /** Output of the layer for input {@code x}; see the class comment for buffer ownership. */
    Tensor forward(Tensor x);

    /** Gradient with respect to the last forward's input, from {@code dy} (shape of the output). */
    Tensor backward(Tensor dy);
}
