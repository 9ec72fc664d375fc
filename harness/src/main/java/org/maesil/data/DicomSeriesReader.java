package org.maesil.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads a CT series from a folder of DICOM files (searched recursively unless
 * {@link Options#recursive} is off), or from a single DICOM file, into a {@link Volume} in
 * Hounsfield units. Files are grouped by SeriesInstanceUID; a folder holding several image series
 * is an error listing them, unless {@link Options#seriesUid} picks one. Slices are ordered by
 * ImagePositionPatient projected on the slice normal (row x column of ImageOrientationPatient),
 * never by file name or InstanceNumber. Spacing along z comes from the positions.
 *
 * <p>Checked, with one clear error each: duplicate positions, gaps (a step more than 1.5x the
 * median step), uneven steps (more than 10% from the median, unless {@link Options#allowIrregular}), mixed
 * orientations, sizes, pixel spacings or pixel formats, compressed transfer syntaxes ("unsupported
 * transfer syntax X in FILE"), multi-frame images. Files that are not DICOM, and DICOM files
 * without pixel data (DICOMDIR, reports), are skipped.
 *
 * <p>The affine maps voxel (column, row, slice) to RAS+ mm: DICOM's LPS+ positions with x and y
 * negated.
 */
public final class DicomSeriesReader {
    private DicomSeriesReader() {}

    /** Choices for unusual series. */
    public static final class Options {
        /** Which series to read when the folder holds several; null = the folder must hold one. */
        public String seriesUid;
        /** Accept slice steps up to 1.5x the median step (the median becomes the spacing); larger steps are gaps, always an error. */
        public boolean allowIrregular;
        /** Search sub-folders too (default); false reads only the files directly in the folder. */
        public boolean recursive = true;
    }

    /** One image series found in a folder. */
    public record SeriesInfo(String uid, String description, String modality, int files) {}

    public static Volume read(Path dir) throws IOException {
        return read(dir, new Options());
    }

    public static Volume read(Path dir, Options options) throws IOException {
        Map<String, List<DicomFile>> series = scan(dir, options.recursive);
        List<DicomFile> files;
        if (options.seriesUid != null) {
            files = series.get(options.seriesUid);
            if (files == null) {
                throw new DataException(dir + ": no series with SeriesInstanceUID " + options.seriesUid + "; found " + describe(series));
            }
        } else if (series.size() > 1) {
            throw new DataException(dir + ": holds " + series.size() + " image series, choose one by SeriesInstanceUID: " + describe(series));
        } else {
            files = series.values().iterator().next();
        }
        return assemble(dir, files, options);
    }

    /** Reads the given parsed files as one series (package-private: tests). */
    static Volume fromFiles(Path dir, List<DicomFile> files, Options options) throws IOException {
        return assemble(dir, files, options);
    }

    /** The image series in a folder (for {@code info}). */
    public static List<SeriesInfo> listSeries(Path dir) throws IOException {
        List<SeriesInfo> out = new ArrayList<>();
        for (var e : scan(dir, true).entrySet()) {
            DicomFile f = e.getValue().get(0);
            out.add(new SeriesInfo(e.getKey(), nz(f.string(DicomFile.SERIES_DESCRIPTION)), nz(f.string(DicomFile.MODALITY)), e.getValue().size()));
        }
        return out;
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String describe(Map<String, List<DicomFile>> series) {
        StringBuilder sb = new StringBuilder();
        for (var e : series.entrySet()) {
            DicomFile f = e.getValue().get(0);
            if (sb.length() > 0) sb.append("; ");
            sb.append(e.getKey()).append(" (").append(nz(f.string(DicomFile.MODALITY))).append(", ")
                    .append(e.getValue().size()).append(" files");
            String d = f.string(DicomFile.SERIES_DESCRIPTION);
            if (d != null && !d.isEmpty()) sb.append(", '").append(d).append('\'');
            sb.append(')');
        }
        return sb.toString();
    }

    /** Parses every DICOM image file under {@code dir}, grouped by SeriesInstanceUID (sorted by UID). */
    static Map<String, List<DicomFile>> scan(Path dir, boolean recursive) throws IOException {
        if (!Files.exists(dir)) throw new DataException(dir + ": no such folder");
        List<Path> paths;
        if (Files.isRegularFile(dir)) {
            paths = List.of(dir);
        } else {
            if (!Files.isReadable(dir)) throw new DataException(dir + ": folder is not readable");
            try (Stream<Path> s = recursive ? Files.walk(dir) : Files.list(dir)) {
                paths = s.filter(Files::isRegularFile).sorted().toList();
            } catch (IOException | UncheckedIOException e) {
                throw new DataException(dir + ": cannot list folder (" + e.getMessage() + ")");
            }
        }
        Map<String, List<DicomFile>> series = new LinkedHashMap<>();
        for (Path p : paths) {
            if (!DicomFile.looksLikeDicom(p)) continue;
            DicomFile f = DicomFile.read(p);
            if (!f.hasPixelData()) continue;
            String uid = f.string(DicomFile.SERIES_UID);
            if (uid == null || uid.isEmpty()) uid = "(no SeriesInstanceUID)";
            series.computeIfAbsent(uid, k -> new ArrayList<>()).add(f);
        }
        if (series.isEmpty()) throw new DataException(dir + ": no DICOM image files found");
        Map<String, List<DicomFile>> sorted = new LinkedHashMap<>();
        series.keySet().stream().sorted().forEach(k -> sorted.put(k, series.get(k)));
        return sorted;
    }

    private record Slice(DicomFile file, double position) {}

    private static Volume assemble(Path dir, List<DicomFile> files, Options options) throws IOException {
        DicomFile first = files.get(0);
        int rows = first.requireInt(DicomFile.ROWS, "Rows");
        int cols = first.requireInt(DicomFile.COLUMNS, "Columns");
        if (rows < 1 || cols < 1) throw new DataException(first.path + ": image size " + rows + "x" + cols + " is empty");
        double[] iop = orientation(first);
        double[] ps = first.requireDoubles(DicomFile.PIXEL_SPACING, "PixelSpacing", 2);
        if (!(ps[0] > 0) || !(ps[1] > 0)) throw new DataException(first.path + ": PixelSpacing " + Arrays.toString(ps) + " must be positive");
        double[] normal = cross(iop);
        List<Slice> slices = new ArrayList<>();
        for (DicomFile f : files) {
            int r = f.requireInt(DicomFile.ROWS, "Rows"), c = f.requireInt(DicomFile.COLUMNS, "Columns");
            if (r != rows || c != cols) {
                throw new DataException(dir + ": mixed image sizes in one series: " + first.path.getFileName() + " is " + cols + "x" + rows
                        + ", " + f.path.getFileName() + " is " + c + "x" + r);
            }
            double[] o = orientation(f);
            for (int i = 0; i < 6; i++) {
                if (Math.abs(o[i] - iop[i]) > 1e-3) {
                    throw new DataException(dir + ": mixed orientations in one series: " + first.path.getFileName() + " has ImageOrientationPatient "
                            + Arrays.toString(iop) + ", " + f.path.getFileName() + " has " + Arrays.toString(o));
                }
            }
            double[] p2 = f.requireDoubles(DicomFile.PIXEL_SPACING, "PixelSpacing", 2);
            if (Math.abs(p2[0] - ps[0]) > 1e-4 || Math.abs(p2[1] - ps[1]) > 1e-4) {
                throw new DataException(dir + ": mixed pixel spacings in one series: " + Arrays.toString(ps) + " in " + first.path.getFileName()
                        + ", " + Arrays.toString(p2) + " in " + f.path.getFileName());
            }
            if (f.requireInt(DicomFile.BITS_ALLOCATED, "BitsAllocated") != first.requireInt(DicomFile.BITS_ALLOCATED, "BitsAllocated")) {
                throw new DataException(dir + ": mixed BitsAllocated in one series (" + first.path.getFileName() + ", " + f.path.getFileName() + ")");
            }
            double[] ipp = f.requireDoubles(DicomFile.IMAGE_POSITION, "ImagePositionPatient", 3);
            slices.add(new Slice(f, ipp[0] * normal[0] + ipp[1] * normal[1] + ipp[2] * normal[2]));
        }
        slices.sort(Comparator.comparingDouble(Slice::position));
        int nz = slices.size();
        double dz;
        if (nz == 1) {
            double[] t = first.doubles(DicomFile.SLICE_THICKNESS, "SliceThickness", 1);
            dz = t != null && t[0] > 0 ? t[0] : 1.0;
        } else {
            double[] steps = new double[nz - 1];
            for (int k = 0; k + 1 < nz; k++) {
                steps[k] = slices.get(k + 1).position - slices.get(k).position;
                if (steps[k] < 1e-3) {
                    throw new DataException(dir + ": duplicate slice position " + fmt(slices.get(k).position) + " mm in "
                            + slices.get(k).file.path.getFileName() + " and " + slices.get(k + 1).file.path.getFileName());
                }
            }
            double[] sorted = steps.clone();
            Arrays.sort(sorted);
            dz = sorted[(sorted.length - 1) / 2]; // lower median: with two steps, the smaller one
            for (int k = 0; k < steps.length; k++) {
                if (steps[k] > 1.5 * dz) {
                    throw new DataException(dir + ": gap in the series: " + fmt(steps[k]) + " mm between slice positions "
                            + fmt(slices.get(k).position) + " (" + slices.get(k).file.path.getFileName() + ") and "
                            + fmt(slices.get(k + 1).position) + " (" + slices.get(k + 1).file.path.getFileName()
                            + "), the usual step is " + fmt(dz) + " mm");
                }
                if (!options.allowIrregular && Math.abs(steps[k] - dz) > 0.1 * dz) {
                    throw new DataException(dir + ": uneven slice spacing: " + fmt(steps[k]) + " mm after "
                            + slices.get(k).file.path.getFileName() + ", the median step is " + fmt(dz)
                            + " mm (DicomSeriesReader.Options.allowIrregular accepts it)");
                }
            }
        }
        long nvox = (long) rows * cols * nz;
        if (nvox > Integer.MAX_VALUE - 16) throw new DataException(dir + ": series of " + nvox + " voxels is too large for one array");
        float[] vox = new float[(int) nvox];
        for (int k = 0; k < nz; k++) slices.get(k).file.readPixels(vox, k * rows * cols, rows, cols);
        double[] ipp0 = slices.get(0).file.requireDoubles(DicomFile.IMAGE_POSITION, "ImagePositionPatient", 3);
        // LPS: p(i, j, k) = ipp0 + i * ps[1] * rowDir + j * ps[0] * colDir + k * dz * normal
        double[] lps = {
                iop[0] * ps[1], iop[3] * ps[0], normal[0] * dz, ipp0[0],
                iop[1] * ps[1], iop[4] * ps[0], normal[1] * dz, ipp0[1],
                iop[2] * ps[1], iop[5] * ps[0], normal[2] * dz, ipp0[2],
                0, 0, 0, 1};
        double[] ras = lps.clone();
        for (int c = 0; c < 4; c++) {
            ras[c] = -lps[c];
            ras[4 + c] = -lps[4 + c];
        }
        String desc = dir + " (DICOM series " + nz(first.string(DicomFile.SERIES_UID)) + ", " + nz + " slices)";
        return new Volume(vox, cols, rows, nz, new double[] {ps[1], ps[0], dz}, ras, desc);
    }

    private static double[] orientation(DicomFile f) throws DataException {
        double[] o = f.doubles(DicomFile.IMAGE_ORIENTATION, "ImageOrientationPatient", 6);
        if (o == null) throw new DataException(f.path + ": missing attribute ImageOrientationPatient (0020,0037)");
        double n1 = Math.sqrt(o[0] * o[0] + o[1] * o[1] + o[2] * o[2]);
        double n2 = Math.sqrt(o[3] * o[3] + o[4] * o[4] + o[5] * o[5]);
        double dot = o[0] * o[3] + o[1] * o[4] + o[2] * o[5];
        if (Math.abs(n1 - 1) > 0.01 || Math.abs(n2 - 1) > 0.01 || Math.abs(dot) > 0.01) {
            throw new DataException(f.path + ": ImageOrientationPatient " + Arrays.toString(o) + " is not two orthogonal unit vectors");
        }
        return o;
    }

    private static double[] cross(double[] o) {
        return new double[] {
                o[1] * o[5] - o[2] * o[4],
                o[2] * o[3] - o[0] * o[5],
                o[0] * o[4] - o[1] * o[3]};
    }

    private static String fmt(double v) {
        return String.format("%.2f", v);
    }
}
