package org.maesil.train;

import java.util.ArrayList;
import java.util.List;

/** A {@link SuperpatchSource} over superpatches held in memory. */
public final class InMemorySuperpatches implements SuperpatchSource {
    private final int edge;
    private final List<float[]> items;
    private final String description;

    public InMemorySuperpatches(int edge, List<float[]> items, String description) {
        int n = edge * edge * edge;
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).length != n) {
                throw new IllegalArgumentException("superpatch " + i + " has " + items.get(i).length + " voxels, expected " + n);
            }
        }
        if (items.isEmpty()) throw new IllegalArgumentException("no superpatches in " + description);
        this.edge = edge;
        this.items = new ArrayList<>(items);
        this.description = description;
    }

    @Override public int size() { return items.size(); }
    @Override public int edge() { return edge; }
    @Override public void read(int index, float[] dst, int offset) {
        float[] src = items.get(index);
        System.arraycopy(src, 0, dst, offset, src.length);
    }
    @Override public String describe() { return description; }
}
