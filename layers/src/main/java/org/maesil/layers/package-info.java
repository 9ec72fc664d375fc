/**
 * Layers with parameters and hand-written backward passes, on a {@link org.maesil.tensor.Backend}.
 *
 * <p>Every layer implements {@link org.maesil.layers.Layer}: {@code forward} keeps what
 * {@code backward} needs, {@code backward} returns the input gradient and overwrites the
 * parameter gradients; returned tensors are buffers the layer reuses (see the Layer javadoc).
 * Parameters carry PyTorch state_dict names, given as a prefix to each constructor
 * ({@code "blocks.0"} gives {@code "blocks.0.attn.qkv.weight"}, ...), and a weight-decay flag.
 * A constructor's {@code SplittableRandom} draws MAE's initialisation; {@code null} leaves zeros
 * for loading a checkpoint.
 *
 * <p>Available: {@link org.maesil.layers.Linear}, {@link org.maesil.layers.Conv3d},
 * {@link org.maesil.layers.ConvTranspose3d}, {@link org.maesil.layers.LayerNorm},
 * {@link org.maesil.layers.Gelu}, {@link org.maesil.layers.Relu}, {@link org.maesil.layers.MultiHeadSelfAttention},
 * {@link org.maesil.layers.Mlp}, {@link org.maesil.layers.TransformerBlock},
 * {@link org.maesil.layers.Sequential}. Not available: sigmoid / other activations,
 * dropout, normalisations other than LayerNorm (the Backend has no kernels for them).
 *
 * <p>A training step, e.g. for a small convolutional autoencoder on x [N, 1, D, H, W]:
 * <pre>{@code
 * Backend be = new JavaBackend();
 * SplittableRandom rng = new SplittableRandom(seed);
 * Sequential net = new Sequential(
 *         new Conv3d(be, "encoder.0", 1, 16, 4, 2, 1, true, rng).computeInputGradient(false),
 *         new Gelu(be),
 *         new ConvTranspose3d(be, "decoder.0", 16, 1, 4, 2, 1, 0, true, rng));
 * AdamW opt = new AdamW(be, net.parameters(), 0.9f, 0.95f, 1e-8f, 0.05f);
 * WarmupCosineSchedule lr = new WarmupCosineSchedule(1e-4, 0, 5, 100);   // epochs
 * Tensor dy = new Tensor(x.shape());
 * for (long step = 0; step < steps; step++) {
 *     Tensor y = net.forward(x);
 *     int rows = x.dim(0), cols = x.size() / rows;
 *     double loss = be.mseLoss(y.data, x.data, null, rows, cols);
 *     be.mseLossBackward(y.data, x.data, null, dy.data, rows, cols, 1f);
 *     net.backward(dy);
 *     String bad = Gradients.firstNonFinite(be, net.parameters(), true);
 *     if (!Double.isFinite(loss) || bad != null) throw new IllegalStateException("non-finite at " + bad);
 *     opt.step(lr.lr(WarmupCosineSchedule.epochs(step, stepsPerEpoch)));
 * }
 * Checkpoint.save(run.resolve("checkpoint.safetensors"), net.parameters(), opt, null, Map.of("step", "" + steps));
 * }</pre>
 */
package org.maesil.layers;
