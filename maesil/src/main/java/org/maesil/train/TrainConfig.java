package org.maesil.train;

/**
 * Optimisation settings of a run: AdamW with linear warm-up then cosine decay to {@code minLr}.
 *
 * @param batch           superpatches per step
 * @param steps           total optimiser steps; 0 means {@code epochs} epochs of the data
 * @param epochs          epochs when {@code steps} is 0
 * @param lr              peak learning rate (after warm-up)
 * @param minLr           learning rate at the end of the cosine
 * @param beta1           AdamW beta1
 * @param beta2           AdamW beta2
 * @param eps             AdamW epsilon
 * @param weightDecay     decoupled weight decay (not applied to biases, norms, tokens)
 * @param warmupSteps     warm-up steps; when negative, {@code warmupEpochs} epochs are used instead
 * @param warmupEpochs    warm-up in epochs (used when warmupSteps is negative)
 * @param checkpointEvery steps between checkpoints (a checkpoint is also written at the end)
 */
public record TrainConfig(int batch, int steps, int epochs, double lr, double minLr, double beta1, double beta2,
                          double eps, double weightDecay, int warmupSteps, double warmupEpochs, int checkpointEvery) {

    public TrainConfig {
        if (batch < 1) throw new IllegalArgumentException("batch must be >= 1, got " + batch);
        if (steps < 0 || (steps == 0 && epochs < 1)) throw new IllegalArgumentException("steps must be >= 1 (or epochs >= 1)");
        if (!(lr > 0) || minLr < 0 || minLr > lr) throw new IllegalArgumentException("need 0 <= minLr <= lr and lr > 0");
        if (checkpointEvery < 1) throw new IllegalArgumentException("checkpointEvery must be >= 1");
    }

    /** Total steps for a data set of {@code size} superpatches. */
    public int totalSteps(int size) {
        if (steps > 0) return steps;
        long perEpoch = (size + batch - 1) / batch;
        return (int) Math.min(Integer.MAX_VALUE, perEpoch * epochs);
    }

    /** Warm-up steps for a data set of {@code size} superpatches, at most total - 1. */
    public int warmup(int size) {
        int total = totalSteps(size);
        long w = warmupSteps >= 0 ? warmupSteps : Math.round(warmupEpochs * ((size + batch - 1) / batch));
        return (int) Math.max(0, Math.min(total - 1, w));
    }

    public TrainConfig withSteps(int newSteps) {
        return new TrainConfig(batch, newSteps, epochs, lr, minLr, beta1, beta2, eps, weightDecay, warmupSteps,
                warmupEpochs, Math.min(checkpointEvery, Math.max(1, newSteps)));
    }

    public TrainConfig withBatch(int newBatch) {
        return new TrainConfig(newBatch, steps, epochs, lr, minLr, beta1, beta2, eps, weightDecay, warmupSteps,
                warmupEpochs, checkpointEvery);
    }

    public TrainConfig withCheckpointEvery(int every) {
        return new TrainConfig(batch, steps, epochs, lr, minLr, beta1, beta2, eps, weightDecay, warmupSteps,
                warmupEpochs, every);
    }
}
