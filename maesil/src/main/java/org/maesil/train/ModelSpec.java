package org.maesil.train;

import java.util.Map;
import java.util.TreeMap;

/**
 * Everything needed to build a model again: its kind ({@code --model}), preset, model options
 * (e.g. "plane-ratio" -> "0.75") and the seed of its initial weights. Stored in checkpoints,
 * so {@code reconstruct} and {@code --resume} rebuild exactly the trained architecture.
 */
public record ModelSpec(String kind, String preset, Map<String, String> options, long initSeed) {
    public ModelSpec {
        options = Map.copyOf(new TreeMap<>(options));
    }

    /** An option as a double, or the default when absent; a clear error when it is not a number. */
    public double doubleOption(String key, double dflt) {
        String v = options.get(key);
        if (v == null) return dflt;
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("model option " + key + " must be a number, got '" + v + "'");
        }
    }

    public boolean booleanOption(String key, boolean dflt) {
        String v = options.get(key);
        if (v == null) return dflt;
        if (v.equals("true") || v.equals("false")) return Boolean.parseBoolean(v);
        throw new IllegalArgumentException("model option " + key + " must be true or false, got '" + v + "'");
    }

    /** Sorted copy of the options (stable JSON). */
    public Map<String, String> sortedOptions() { return new TreeMap<>(options); }
}
