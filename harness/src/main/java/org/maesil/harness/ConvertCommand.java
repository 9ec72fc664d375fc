package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.data.DicomSeriesReader;
import org.maesil.data.NiftiWriter;
import org.maesil.data.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convert}: a DICOM CT series to a NIfTI-1 file in HU. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = "Converts a DICOM CT series (folder) to a NIfTI-1 file in Hounsfield units (float32, RAS affine).")
public final class ConvertCommand implements Callable<Integer> {
    @Option(names = "--in", required = true, paramLabel = "DICOM_DIR", description = "folder holding the series")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "FILE.nii.gz", description = "output NIfTI file (.nii.gz or .nii)")
    Path out;

    @Option(names = "--series", paramLabel = "UID", description = "which series to convert when the folder holds several")
    String series;

    @Option(names = "--allow-irregular", description = "accept slice steps up to 1.5x the median (gaps stay errors)")
    boolean allowIrregular;

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    @Override
    public Integer call() throws Exception {
        String n = out.getFileName() == null ? "" : out.getFileName().toString();
        if (!n.endsWith(".nii.gz") && !n.endsWith(".nii")) throw new IllegalArgumentException("--out " + out + ": must end in .nii.gz or .nii");
        DicomSeriesReader.Options opt = new DicomSeriesReader.Options();
        opt.seriesUid = series;
        opt.allowIrregular = allowIrregular;
        Volume v = DicomSeriesReader.read(in, opt);
        NiftiWriter.write(out, v);
        double[] r = v.range();
        if (json) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("in", in.toString());
            o.put("out", out.toString());
            o.put("dims", new int[] {v.nx, v.ny, v.nz});
            o.put("spacing_mm", v.spacing);
            o.put("orientation", v.axisCodes());
            o.put("min", r[0]);
            o.put("max", r[1]);
            System.out.println(new GsonBuilder().serializeNulls().create().toJson(o));
        } else {
            System.out.printf("wrote %s: %d x %d x %d, spacing %.4f x %.4f x %.4f mm, %s, HU %.0f..%.0f%n", out, v.nx, v.ny, v.nz,
                    v.spacing[0], v.spacing[1], v.spacing[2], v.axisCodes(), r[0], r[1]);
        }
        return 0;
    }
}
