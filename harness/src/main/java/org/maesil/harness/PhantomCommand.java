package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Phantom;
import org.maesil.data.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code phantom}: writes synthetic CT volumes (HU, NIfTI) for a body region. */
@Command(name = "phantom", mixinStandardHelpOptions = true,
        description = "Writes synthetic CT phantoms in Hounsfield units as NIfTI files (REGION-sSIZE-seedK.nii.gz; volume i uses seed K+i).")
public final class PhantomCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output folder (created if missing)")
    Path out;

    @Option(names = "--count", defaultValue = "1", paramLabel = "N", description = "number of volumes (default: ${DEFAULT-VALUE})")
    int count;

    @Option(names = "--region", defaultValue = "abdomen", paramLabel = "R", description = "abdomen, thorax or fullbody (default: ${DEFAULT-VALUE})")
    String region;

    @Option(names = "--size", defaultValue = "128", paramLabel = "S", description = "voxels per side, 8..1024 (default: ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "K", description = "seed of the first volume (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Phantom.REGIONS.contains(region)) throw new IllegalArgumentException("--region must be one of " + Phantom.REGIONS + ", got '" + region + "'");
        if (count < 1 || count > 100000) throw new IllegalArgumentException("--count must be 1..100000, got " + count);
        if (size < 8 || size > 1024) throw new IllegalArgumentException("--size must be 8..1024, got " + size);
        if (Files.exists(out) && !Files.isDirectory(out)) throw new IllegalArgumentException("--out " + out + " exists and is not a folder");
        Files.createDirectories(out);
        List<Map<String, Object>> files = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            long s = seed + i;
            long t0 = System.nanoTime();
            Volume v = Phantom.generate(region, size, s);
            Path f = out.resolve(region + "-s" + size + "-seed" + s + ".nii.gz");
            NiftiWriter.write(f, v);
            double secs = (System.nanoTime() - t0) / 1e9;
            double[] r = v.range();
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("file", f.toString());
            o.put("seed", s);
            o.put("dims", new int[] {v.nx, v.ny, v.nz});
            o.put("spacing_mm", v.spacing);
            o.put("hu_min", r[0]);
            o.put("hu_max", r[1]);
            o.put("hu_mean", r[2]);
            o.put("seconds", secs);
            files.add(o);
            if (!json) System.out.printf("%s  %dx%dx%d  spacing %.3f x %.3f x %.3f mm  HU %.0f..%.0f  (%.2f s)%n", f, v.nx, v.ny, v.nz,
                    v.spacing[0], v.spacing[1], v.spacing[2], r[0], r[1], secs);
        }
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("region", region);
            o.put("size", size);
            o.put("count", count);
            o.put("files", files);
            System.out.println(new GsonBuilder().serializeNulls().create().toJson(o));
        }
        return 0;
    }
}
