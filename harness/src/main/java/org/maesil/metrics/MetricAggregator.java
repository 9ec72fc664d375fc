package org.maesil.metrics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The protocol's aggregation (DESIGN.md, "Evaluation protocol"): scores are recorded per
 * superpatch; a volume's score is the mean over its superpatches; a dataset's score is the mean
 * over its volumes with a 95% bootstrap interval over volumes ({@link Bootstrap}); the overall
 * score pools the volumes of every dataset (each volume counts once).
 *
 * <p>A metric missing from some superpatches (LPIPS without weights) is simply absent from the
 * summaries of that metric; {@link #has(String)} tells whether any value was recorded.
 */
public final class MetricAggregator {

    /** dataset -> volume -> metric -> superpatch values, in insertion order. */
    private final Map<String, Map<String, Map<String, List<Double>>>> values = new LinkedHashMap<>();
    private final long seed;

    public MetricAggregator(long seed) {
        this.seed = seed;
    }

    public MetricAggregator() {
        this(Bootstrap.DEFAULT_SEED);
    }

    /** Records the scores of one superpatch of a volume. */
    public void add(String dataset, String volume, Map<String, Double> superpatchScores) {
        var perMetric = values.computeIfAbsent(dataset, d -> new LinkedHashMap<>())
                .computeIfAbsent(volume, v -> new LinkedHashMap<>());
        superpatchScores.forEach((metric, v) -> {
            if (v != null) perMetric.computeIfAbsent(metric, m -> new ArrayList<>()).add(v);
        });
    }

    public List<String> datasets() {
        return List.copyOf(values.keySet());
    }

    public boolean has(String metric) {
        return values.values().stream().flatMap(d -> d.values().stream()).anyMatch(v -> v.containsKey(metric));
    }

    /** Volume -> mean over its superpatches of metric, for one dataset (volumes without it are left out). */
    public Map<String, Double> volumeMeans(String dataset, String metric) {
        Map<String, Double> out = new LinkedHashMap<>();
        var ds = values.get(dataset);
        if (ds == null) throw new IllegalArgumentException("no scores recorded for dataset '" + dataset + "'");
        ds.forEach((volume, perMetric) -> {
            List<Double> v = perMetric.get(metric);
            if (v != null && !v.isEmpty()) out.put(volume, v.stream().mapToDouble(Double::doubleValue).average().orElseThrow());
        });
        return out;
    }

    /** Mean over the dataset's volumes with a 95% bootstrap interval; null when no volume has the metric. */
    public Bootstrap.Summary dataset(String dataset, String metric) {
        double[] v = volumeMeans(dataset, metric).values().stream().mapToDouble(Double::doubleValue).toArray();
        return v.length == 0 ? null : Bootstrap.summarise(v, seed, Bootstrap.RESAMPLES);
    }

    /** Mean over the volumes of every dataset with a 95% bootstrap interval; null when none has the metric. */
    public Bootstrap.Summary overall(String metric) {
        List<Double> all = new ArrayList<>();
        for (String d : values.keySet()) all.addAll(volumeMeans(d, metric).values());
        if (all.isEmpty()) return null;
        return Bootstrap.summarise(all.stream().mapToDouble(Double::doubleValue).toArray(), seed, Bootstrap.RESAMPLES);
    }
}
