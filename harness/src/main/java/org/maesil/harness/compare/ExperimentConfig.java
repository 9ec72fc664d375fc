package org.maesil.harness.compare;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.maesil.harness.train.VolumeReconstructor;
import org.maesil.report.PaperNumbers;
import org.maesil.train.Models;
import org.maesil.train.Presets;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * An experiment grid for {@code compare} (experiments/*.yaml), validated field by field when
 * loaded: a typo, a wrong type or a value out of range is one {@link ConfigException} naming
 * the file and the field. Format (every field but version, datasets, models, preset optional):
 *
 * <pre>
 * version: 1
 * title: "..."                    # report heading
 * subtitle: "..."                 # one line under it
 * catalog: datasets.yaml          # relative to this file; default ./datasets.yaml or the embedded one
 * datasets: [btcv, lidc-idri]     # names in the catalog
 * paper_datasets: {btcv: BTCV}    # Table III: our dataset -> the paper's (BTCV, LIDC-IDRI, TotalSegmentatorV2)
 * models: [maesil, ae, vae, vqvae]
 * preset: demo                    # tiny, demo or paper
 * training:
 *   mode: unified                 # unified: one model on all datasets' training cases (the paper); per-dataset
 *   steps: 150                    # optimiser steps (default: the preset's)
 *   batch: 4                      # superpatches per step (default: the preset's)
 *   seeds: [0]                    # one training run per seed
 * masking: {plane_ratio: 0.5, axis_ratio: 0.5}   # MAESIL (default: the preset's)
 * phantoms: {size: 64, count: 8, test_fraction: 0.25}  # overrides for the catalog's phantom datasets
 * evaluation:
 *   seed: 20251127                # MAESIL's evaluation masks
 *   test_volumes: all             # or N: the first N test cases of each dataset; or a list of case ids
 *   superpatches_per_volume: all  # or N: that many non-empty superpatches, evenly spaced
 *   lpips_weights: null           # safetensors file (relative to this file); default $MAESIL_LPIPS_WEIGHTS
 *   lpips_slice_step: 1
 * </pre>
 */
public record ExperimentConfig(String file, String title, String subtitle, Path catalog, List<String> datasets,
                               Map<String, String> paperDatasets, List<String> models, String preset,
                               String mode, Integer steps, Integer batch, List<Long> seeds,
                               Double planeRatio, Double axisRatio, Integer phantomSize, Integer phantomCount, Double phantomTestFraction,
                               long evalSeed, int testVolumes, List<String> testVolumeIds, int superpatchesPerVolume,
                               Path lpipsWeights, int lpipsSliceStep) {

    /** A config file that cannot be used: one line naming the file and the field. */
    public static final class ConfigException extends IOException {
        public ConfigException(String message) {
            super(message);
        }
    }

    /** test_volumes / superpatches_per_volume: "all". */
    public static final int ALL = 0;

    public static final String UNIFIED = "unified", PER_DATASET = "per-dataset";

    private static final Set<String> TOP = Set.of("version", "title", "subtitle", "catalog", "datasets", "paper_datasets",
            "models", "preset", "training", "masking", "phantoms", "evaluation");
    private static final Set<String> TRAINING = Set.of("mode", "steps", "batch", "seeds");
    private static final Set<String> MASKING = Set.of("plane_ratio", "axis_ratio");
    private static final Set<String> PHANTOMS = Set.of("size", "count", "test_fraction");
    private static final Set<String> EVALUATION = Set.of("seed", "test_volumes", "superpatches_per_volume", "lpips_weights",
            "lpips_slice_step");

    public static ExperimentConfig load(Path yaml) throws IOException {
        if (!Files.isRegularFile(yaml)) throw new ConfigException(yaml + ": experiment config not found");
        try (InputStream in = Files.newInputStream(yaml)) {
            Path dir = yaml.toAbsolutePath().getParent();
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), yaml.toString(), dir);
        }
    }

    /** Parses a config's text; relative paths in it are resolved against {@code dir}. */
    public static ExperimentConfig parse(String text, String file, Path dir) throws ConfigException {
        Object doc;
        try {
            doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new ConfigException(file + ": not valid YAML (" + e.getMessage().replace('\n', ' ') + ")");
        }
        if (!(doc instanceof Map<?, ?> top)) throw new ConfigException(file + ": expected a map with version, datasets, models and preset");
        Fields f = new Fields(file);
        f.keys(top, TOP, "");
        Object version = top.get("version");
        if (!(version instanceof Integer v) || v != 1) throw f.err("version", "must be 1, got " + version);
        String title = top.containsKey("title") ? f.text(top.get("title"), "title") : "MAESIL experiment";
        String subtitle = top.containsKey("subtitle") ? f.text(top.get("subtitle"), "subtitle") : null;
        Path catalog = top.get("catalog") == null ? null : dir.resolve(f.text(top.get("catalog"), "catalog")).normalize();

        List<String> datasets = f.names(f.required(top, "datasets"), "datasets");
        List<String> models = f.names(f.required(top, "models"), "models");
        for (String m : models) {
            if (!Models.KINDS.contains(m)) throw f.err("models", "unknown model '" + m + "' (maesil, ae, vae, vqvae)");
        }
        String preset = f.text(f.required(top, "preset"), "preset");
        try {
            Presets.byName(preset);
        } catch (IllegalArgumentException e) {
            throw f.err("preset", e.getMessage());
        }

        Map<String, String> paper = new LinkedHashMap<>();
        if (top.get("paper_datasets") != null) {
            Map<?, ?> pm = f.map(top.get("paper_datasets"), "paper_datasets");
            for (var e : pm.entrySet()) {
                String ours = String.valueOf(e.getKey());
                if (!datasets.contains(ours)) throw f.err("paper_datasets", "'" + ours + "' is not one of the datasets " + datasets);
                String theirs = f.text(e.getValue(), "paper_datasets." + ours);
                if (!PaperNumbers.TABLE_III.containsKey(theirs)) {
                    throw f.err("paper_datasets." + ours, "'" + theirs + "' is not a dataset of the paper's Table III "
                            + new TreeSet<>(PaperNumbers.TABLE_III.keySet()));
                }
                paper.put(ours, theirs);
            }
        }

        String mode = UNIFIED;
        Integer steps = null, batch = null;
        List<Long> seeds = List.of(0L);
        if (top.get("training") != null) {
            Map<?, ?> t = f.map(top.get("training"), "training");
            f.keys(t, TRAINING, "training.");
            if (t.get("mode") != null) {
                mode = f.text(t.get("mode"), "training.mode");
                if (!mode.equals(UNIFIED) && !mode.equals(PER_DATASET)) throw f.err("training.mode", "must be unified or per-dataset, got '" + mode + "'");
            }
            if (t.get("steps") != null) steps = (int) f.integer(t.get("steps"), "training.steps", 1, 100_000_000);
            if (t.get("batch") != null) batch = (int) f.integer(t.get("batch"), "training.batch", 1, 4096);
            if (t.get("seeds") != null) {
                if (!(t.get("seeds") instanceof List<?> l) || l.isEmpty()) throw f.err("training.seeds", "must be a non-empty list of integers");
                Set<Long> s = new LinkedHashSet<>();
                for (Object o : l) {
                    if (!s.add(f.integer(o, "training.seeds", Long.MIN_VALUE, Long.MAX_VALUE))) throw f.err("training.seeds", "seed " + o + " appears twice");
                }
                seeds = List.copyOf(s);
            }
        }

        Double plane = null, axis = null;
        if (top.get("masking") != null) {
            Map<?, ?> m = f.map(top.get("masking"), "masking");
            f.keys(m, MASKING, "masking.");
            if (m.get("plane_ratio") != null) plane = f.ratio(m.get("plane_ratio"), "masking.plane_ratio");
            if (m.get("axis_ratio") != null) axis = f.ratio(m.get("axis_ratio"), "masking.axis_ratio");
            if (!models.contains("maesil")) throw f.err("masking", "applies to maesil only, which is not among the models");
        }

        Integer psize = null, pcount = null;
        Double ptest = null;
        if (top.get("phantoms") != null) {
            Map<?, ?> p = f.map(top.get("phantoms"), "phantoms");
            f.keys(p, PHANTOMS, "phantoms.");
            if (p.get("size") != null) psize = (int) f.integer(p.get("size"), "phantoms.size", 8, 512);
            if (p.get("count") != null) pcount = (int) f.integer(p.get("count"), "phantoms.count", 2, 10000);
            if (p.get("test_fraction") != null) {
                ptest = f.ratio(p.get("test_fraction"), "phantoms.test_fraction");
                if (ptest == 0) throw f.err("phantoms.test_fraction", "must be above 0: the grid needs test cases");
            }
        }

        long evalSeed = VolumeReconstructor.EVAL_SEED;
        int testVolumes = ALL, perVolume = ALL, sliceStep = 1;
        List<String> testIds = null;
        Path lpips = null;
        if (top.get("evaluation") != null) {
            Map<?, ?> e = f.map(top.get("evaluation"), "evaluation");
            f.keys(e, EVALUATION, "evaluation.");
            if (e.get("seed") != null) evalSeed = f.integer(e.get("seed"), "evaluation.seed", Long.MIN_VALUE, Long.MAX_VALUE);
            if (e.get("test_volumes") instanceof List<?>) testIds = f.names(e.get("test_volumes"), "evaluation.test_volumes");
            else if (e.get("test_volumes") != null) testVolumes = f.allOrCount(e.get("test_volumes"), "evaluation.test_volumes");
            if (e.get("superpatches_per_volume") != null) perVolume = f.allOrCount(e.get("superpatches_per_volume"), "evaluation.superpatches_per_volume");
            if (e.get("lpips_weights") != null) {
                lpips = dir.resolve(f.text(e.get("lpips_weights"), "evaluation.lpips_weights")).normalize();
                if (!Files.isRegularFile(lpips)) throw f.err("evaluation.lpips_weights", lpips + " does not exist");
            }
            if (e.get("lpips_slice_step") != null) sliceStep = (int) f.integer(e.get("lpips_slice_step"), "evaluation.lpips_slice_step", 1, 1024);
        }
        return new ExperimentConfig(file, title, subtitle, catalog, datasets, paper, models, preset, mode, steps, batch, seeds,
                plane, axis, psize, pcount, ptest, evalSeed, testVolumes, testIds, perVolume, lpips, sliceStep);
    }

    /** Typed access to YAML values, every error naming the file and the field. */
    private record Fields(String file) {
        ConfigException err(String field, String what) {
            return new ConfigException(file + ": field '" + field + "' " + what);
        }

        void keys(Map<?, ?> m, Set<String> allowed, String prefix) throws ConfigException {
            for (Object k : m.keySet()) {
                if (!allowed.contains(String.valueOf(k))) {
                    throw new ConfigException(file + ": unknown field '" + prefix + k + "' (known: "
                            + String.join(", ", new TreeSet<>(allowed)) + ")");
                }
            }
        }

        Object required(Map<?, ?> m, String key) throws ConfigException {
            Object v = m.get(key);
            if (v == null) throw new ConfigException(file + ": missing field '" + key + "'");
            return v;
        }

        String text(Object v, String field) throws ConfigException {
            if (!(v instanceof String s) || s.isBlank()) throw err(field, "must be non-empty text, got " + v);
            return s;
        }

        Map<?, ?> map(Object v, String field) throws ConfigException {
            if (!(v instanceof Map<?, ?> m)) throw err(field, "must be a map, got " + v);
            return m;
        }

        List<String> names(Object v, String field) throws ConfigException {
            if (!(v instanceof List<?> l) || l.isEmpty()) throw err(field, "must be a non-empty list, got " + v);
            List<String> out = new ArrayList<>();
            for (Object o : l) {
                String s = text(o, field);
                if (out.contains(s)) throw err(field, "names '" + s + "' twice");
                out.add(s);
            }
            return List.copyOf(out);
        }

        long integer(Object v, String field, long min, long max) throws ConfigException {
            if (!(v instanceof Integer || v instanceof Long)) throw err(field, "must be an integer, got " + v);
            long x = ((Number) v).longValue();
            if (x < min || x > max) throw err(field, "must be in " + min + ".." + max + ", got " + x);
            return x;
        }

        double ratio(Object v, String field) throws ConfigException {
            if (!(v instanceof Number n)) throw err(field, "must be a number, got " + v);
            double d = n.doubleValue();
            if (!(d >= 0 && d < 1)) throw err(field, "must be in [0, 1), got " + d);
            return d;
        }

        int allOrCount(Object v, String field) throws ConfigException {
            if ("all".equals(v)) return ALL;
            if (!(v instanceof Integer || v instanceof Long)) throw err(field, "must be all, a count or a list of case ids, got " + v);
            return (int) integer(v, field, 1, 1_000_000);
        }
    }
}
