package org.maesil.harness;

import com.google.gson.GsonBuilder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.maesil.data.DataException;
import org.maesil.data.DicomFile;
import org.maesil.data.DicomSeriesReader;
import org.maesil.data.NiftiReader;
import org.maesil.data.Volume;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code info}: dims, spacing, orientation and HU range of a NIfTI file or a DICOM series. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Summary of a NIfTI file (.nii, .nii.gz) or a DICOM series (folder or file): dims, spacing, orientation, HU range.")
public final class InfoCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE_OR_DIR", description = "a NIfTI file, a DICOM file, or a folder holding one DICOM series")
    Path input;

    @Option(names = "--series", paramLabel = "UID", description = "which series to read when the folder holds several")
    String series;

    @Option(names = "--volume", paramLabel = "I", description = "which volume of a 4D NIfTI file to read (0-based)")
    Integer volume;

    @Option(names = "--json", description = "print one JSON object instead of prose")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (!Files.exists(input)) throw new DataException(input + ": no such file or folder");
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("path", input.toString());
        Volume v;
        String name = input.getFileName() == null ? "" : input.getFileName().toString();
        if (Files.isRegularFile(input) && (name.endsWith(".nii") || name.endsWith(".nii.gz"))) {
            NiftiReader.Header h = NiftiReader.readHeader(input);
            o.put("format", "NIfTI-" + h.version);
            o.put("byte_order", h.order.toString());
            o.put("datatype", h.datatype);
            o.put("volumes", h.volumes());
            o.put("qform_code", h.qformCode);
            o.put("sform_code", h.sformCode);
            if (h.volumes() > 1 && volume == null) {
                throw new DataException(input + ": 4D file with " + h.volumes() + " volumes; choose one with --volume I");
            }
            v = NiftiReader.read(input, volume == null ? -1 : volume);
        } else {
            DicomSeriesReader.Options opt = new DicomSeriesReader.Options();
            opt.seriesUid = series;
            if (Files.isDirectory(input)) {
                List<DicomSeriesReader.SeriesInfo> all = DicomSeriesReader.listSeries(input);
                o.put("series_in_folder", all);
            } else if (!DicomFile.looksLikeDicom(input)) {
                throw new DataException(input + ": not a NIfTI (.nii, .nii.gz) or DICOM file");
            }
            o.put("format", "DICOM");
            v = DicomSeriesReader.read(input, opt);
        }
        double[] r = v.range();
        o.put("dims", new int[] {v.nx, v.ny, v.nz});
        o.put("spacing_mm", v.spacing);
        o.put("orientation", v.axisCodes());
        o.put("affine_ras", v.affine);
        o.put("min", r[0]);
        o.put("max", r[1]);
        o.put("mean", r[2]);
        o.put("description", v.description);
        if (json) {
            System.out.println(new GsonBuilder().serializeNulls().create().toJson(o));
        } else {
            System.out.printf("%s%n", input);
            System.out.printf("  format       %s%n", o.get("format") + (o.containsKey("byte_order") ? " (" + o.get("byte_order") + ", datatype " + o.get("datatype") + ")" : ""));
            System.out.printf("  dims         %d x %d x %d%n", v.nx, v.ny, v.nz);
            System.out.printf("  spacing      %.4f x %.4f x %.4f mm%n", v.spacing[0], v.spacing[1], v.spacing[2]);
            System.out.printf("  orientation  %s (voxel axes towards; RAS+ world)%n", v.axisCodes());
            System.out.printf("  origin       %.2f, %.2f, %.2f mm (RAS)%n", v.affine[3], v.affine[7], v.affine[11]);
            System.out.printf("  values       min %.1f  max %.1f  mean %.1f (HU for CT)%n", r[0], r[1], r[2]);
        }
        return 0;
    }
}
