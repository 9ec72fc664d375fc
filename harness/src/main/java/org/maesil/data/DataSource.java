package org.maesil.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A resolved dataset: its cases (each loaded on demand, one at a time), the HU window, the target
 * spacing and the train/test split. Made by {@link DatasetCatalog#resolve}.
 */
public final class DataSource {
    /** Loads one case's CT volume in HU. */
    @FunctionalInterface
    public interface Loader {
        Volume load() throws IOException;
    }

    /** One CT volume of a dataset: a stable id (for the split), where it lives, and its loader. */
    public record Case(String id, String location, Loader loader) {
        public Volume load() throws IOException {
            return loader.load();
        }
    }

    public final String name;
    public final String description;
    public final double windowLo, windowHi;
    /** Target voxel size in mm (x, y, z), or null to keep each volume's own spacing. */
    public final double[] targetSpacing;
    public final SplitRule split;
    public final List<Case> cases;

    public DataSource(String name, String description, double windowLo, double windowHi, double[] targetSpacing,
                      SplitRule split, List<Case> cases) {
        this.name = name;
        this.description = description;
        this.windowLo = windowLo;
        this.windowHi = windowHi;
        this.targetSpacing = targetSpacing == null ? null : targetSpacing.clone();
        this.split = split;
        this.cases = List.copyOf(cases);
    }

    public List<Case> trainCases() {
        return pick(false);
    }

    public List<Case> testCases() {
        return pick(true);
    }

    private List<Case> pick(boolean test) {
        List<String> ids = cases.stream().map(Case::id).toList();
        boolean[] isTest = split.assign(ids);
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) if (isTest[i] == test) out.add(cases.get(i));
        return out;
    }
}
