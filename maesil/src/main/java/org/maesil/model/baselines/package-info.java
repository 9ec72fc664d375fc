/**
 * The paper's baselines: a 3D convolutional autoencoder ({@link org.maesil.model.baselines.ConvAutoencoder},
 * {@code --model ae}), a variational autoencoder ({@link org.maesil.model.baselines.ConvVae}, {@code vae})
 * and a VQ-VAE with an EMA codebook ({@link org.maesil.model.baselines.VqVae}, {@code vqvae}). They share
 * one encoder-decoder ({@link org.maesil.model.baselines.ConvBaseline}): stride-2 Conv3d stages with
 * GroupNorm ({@link org.maesil.model.baselines.GroupNorm3d}) and GELU down to a latent
 * [C, S/4, S/4, S/4], ConvTranspose3d stages back up, trained on the mean squared error of the
 * whole, unmasked superpatch by the same {@link org.maesil.train.Trainer} as MAESIL.
 *
 * <p>Matched compression: C = 16, so the latent holds S^3 / 4 floats per superpatch, as many as
 * the voxels MAESIL's encoder sees at 75% masking (25% of the superpatch), at every preset
 * ({@link org.maesil.model.baselines.BaselineConfig#compressionRatio()} = 0.25; tiny 16 x 4^3 for
 * 16^3, demo 16 x 8^3 for 32^3, paper 16 x 32^3 for 128^3). For comparison, MAESIL's encoder
 * holds visible tokens x width floats: 16 x 32 = 512 (tiny, 0.125 of the voxels), 128 x 96 =
 * 12288 (demo, 0.375), 1024 x 768 = 786432 (paper, 0.375). The VQ-VAE's latent is the same
 * 16-channel grid before quantisation; after it, one code index of K per latent voxel.
 *
 * <p>Parity with PyTorch: tools/fixtures/make_baseline_fixtures.py and BaselineParityTest.
 */
package org.maesil.model.baselines;
