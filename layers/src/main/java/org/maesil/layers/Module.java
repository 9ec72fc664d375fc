package org.maesil.layers;

import java.util.List;

/**
 * Something with parameters. Layers keep what their backward pass needs from the last
 * forward call (no autograd tape): call forward, then backward with the output gradient.
 * Parameter gradients are overwritten by each backward call.
 */
public interface Module {
    /** Every parameter, in a fixed order, with unique dotted names (PyTorch-style state_dict keys). */
    List<Parameter> parameters();

    /** Dotted name of a child: "blocks.0" + "attn" = "blocks.0.attn"; an empty prefix gives the child alone. */
    static String join(String prefix, String child) {
        return prefix == null || prefix.isEmpty() ? child : prefix + "." + child;
    }
}
