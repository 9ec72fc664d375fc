package org.maesil.layers.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.maesil.layers.Parameter;
import org.maesil.layers.optim.AdamW;
import org.maesil.tensor.Tensor;
import org.maesil.tensor.io.SafeTensors;

/**
 * Checkpoints as one safetensors file, written atomically (temporary file, fsync, rename, by
 * {@link SafeTensors#write}), so a crash leaves either the old or the new file.
 *
 * <p>Layout: every parameter under its own name (the PyTorch state_dict key, so
 * {@code safetensors.torch.load_file} + {@code model.load_state_dict(sd, strict=False)} loads
 * the weights in PyTorch); the AdamW moments under {@link AdamW#EXP_AVG} / {@link AdamW#EXP_AVG_SQ}
 * + name; any extra tensors the caller adds (e.g. EMA codebooks) under their own keys; and string
 * metadata: {@link #FORMAT_KEY} = {@link #FORMAT}, {@link #STEP_KEY} (optimizer step count), the
 * AdamW hyper-parameters, plus whatever the caller passes (config, RNG state, ...).
 * All tensors are stored as F32, so weights and moments round-trip bit for bit.
 */
public final class Checkpoint {
    public static final String FORMAT_KEY = "format";
    public static final String FORMAT = "maesil-checkpoint-1";
    /** Metadata key of the optimizer step count (absent when no optimizer was saved). */
    public static final String STEP_KEY = "optimizer.step";

    private Checkpoint() {}

    /** What a checkpoint file holds: all tensors by key and the metadata. */
    public record Contents(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        /** The optimizer step count, or -1 when the file has no optimizer state. */
        public long optimizerStep() {
            String s = metadata.get(STEP_KEY);
            if (s == null) return -1;
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(file + ": metadata '" + STEP_KEY + "' is not an integer: " + s);
            }
        }

        /** A tensor the caller stored as an extra, or an error naming the file and key. */
        public Tensor require(String key) {
            Tensor t = tensors.get(key);
            if (t == null) throw new IllegalArgumentException(file + ": tensor '" + key + "' is missing");
            return t;
        }
    }

    /**
     * Writes parameters, optimizer state (if {@code optimizer} is not null), {@code extra}
     * tensors (may be null) and {@code metadata} (may be null) to {@code file}, atomically.
     * Keys must be unique across all of them.
     */
    public static void save(Path file, List<Parameter> params, AdamW optimizer,
                            Map<String, Tensor> extra, Map<String, String> metadata) throws IOException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Parameter p : params) put(tensors, p.name, p.value);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_KEY, FORMAT);
        if (optimizer != null) {
            optimizer.stateTensors().forEach((k, t) -> put(tensors, k, t));
            meta.put(STEP_KEY, Long.toString(optimizer.stepCount()));
            meta.put("optimizer", "AdamW");
            meta.put("optimizer.beta1", Float.toString(optimizer.beta1));
            meta.put("optimizer.beta2", Float.toString(optimizer.beta2));
            meta.put("optimizer.eps", Float.toString(optimizer.eps));
            meta.put("optimizer.weight_decay", Float.toString(optimizer.weightDecay));
        }
        if (extra != null) extra.forEach((k, t) -> put(tensors, k, t));
        if (metadata != null) {
            for (var e : metadata.entrySet()) {
                if (meta.containsKey(e.getKey())) {
                    throw new IllegalArgumentException("checkpoint metadata key '" + e.getKey() + "' is reserved");
                }
                meta.put(e.getKey(), e.getValue());
            }
        }
        SafeTensors.write(file, tensors, meta);
    }

    private static void put(Map<String, Tensor> tensors, String key, Tensor t) {
        if (tensors.put(key, t) != null) throw new IllegalArgumentException("checkpoint key '" + key + "' used twice");
    }

    /** Reads a checkpoint (or any safetensors file) without applying it. */
    public static Contents read(Path file) throws IOException {
        return new Contents(file, SafeTensors.read(file), SafeTensors.readMetadata(file));
    }

    /**
     * Reads {@code file}, then copies every parameter's value and, if {@code optimizer} is not
     * null, the optimizer state into place. Everything is checked before anything is changed:
     * a missing or mis-shaped tensor gives one error naming the file and the key.
     * Returns the contents (metadata, extras).
     */
    public static Contents load(Path file, List<Parameter> params, AdamW optimizer) throws IOException {
        Contents c = read(file);
        checkParameters(c, params);
        if (optimizer != null) {
            long step = c.optimizerStep();
            if (step < 0) throw new IllegalArgumentException(file + ": no optimizer state (metadata '" + STEP_KEY + "' missing)");
            optimizer.loadState(c.tensors(), step, file.toString()); // checks all, then copies
        }
        copyParameters(c, params);
        return c;
    }

    /** Copies parameter values from read contents, after checking all names and shapes. */
    public static void applyParameters(Contents c, List<Parameter> params) {
        checkParameters(c, params);
        copyParameters(c, params);
    }

    private static void checkParameters(Contents c, List<Parameter> params) {
        for (Parameter p : params) {
            Tensor t = c.tensors().get(p.name);
            if (t == null) throw new IllegalArgumentException(c.file() + ": parameter '" + p.name + "' is missing");
            if (!Arrays.equals(t.shape(), p.value.shape())) {
                throw new IllegalArgumentException(c.file() + ": parameter '" + p.name + "' has shape "
                        + Arrays.toString(t.shape()) + ", expected " + Arrays.toString(p.value.shape()));
            }
        }
    }

    private static void copyParameters(Contents c, List<Parameter> params) {
        for (Parameter p : params) {
            float[] src = c.tensors().get(p.name).data;
            System.arraycopy(src, 0, p.value.data, 0, src.length);
        }
    }
}
