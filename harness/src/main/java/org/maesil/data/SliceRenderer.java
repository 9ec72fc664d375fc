package org.maesil.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/**
 * Greyscale PNGs of axial, coronal and sagittal slices of a volume, with a display window in
 * the volume's units (HU). Coronal and sagittal images are stretched along z to the true aspect
 * ratio (linear interpolation) and drawn with superior at the top; axial images show x to the
 * right and y down (for the phantoms: radiological convention, anterior at the top).
 *
 * <p>{@code main} renders the phantom evidence images: {@code SliceRenderer OUT_DIR [size] [seed]}.
 */
public final class SliceRenderer {
    private SliceRenderer() {}

    public enum Plane { AXIAL, CORONAL, SAGITTAL }

    /** Renders one slice; {@code index} is z for axial, y for coronal, x for sagittal. */
    public static BufferedImage render(Volume v, Plane plane, int index, double lo, double hi) {
        int w, h;
        double pxW, pxH;
        switch (plane) {
            case AXIAL -> { w = v.nx; h = v.ny; pxW = v.spacing[0]; pxH = v.spacing[1]; }
            case CORONAL -> { w = v.nx; h = v.nz; pxW = v.spacing[0]; pxH = v.spacing[2]; }
            default -> { w = v.ny; h = v.nz; pxW = v.spacing[1]; pxH = v.spacing[2]; }
        }
        int outH = Math.max(1, (int) Math.round(h * pxH / pxW));
        BufferedImage img = new BufferedImage(w, outH, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int r = 0; r < outH; r++) {
            double src = (r + 0.5) * h / outH - 0.5;
            if (plane != Plane.AXIAL) src = h - 1 - src; // superior at the top
            src = Math.max(0, Math.min(h - 1, src));
            int s0 = (int) Math.floor(src), s1 = Math.min(h - 1, s0 + 1);
            double t = src - s0;
            for (int c = 0; c < w; c++) {
                double val = (1 - t) * sample(v, plane, index, c, s0) + t * sample(v, plane, index, c, s1);
                double g = (val - lo) / (hi - lo);
                raster.setSample(c, r, 0, (int) Math.round(255 * Math.max(0, Math.min(1, g))));
            }
        }
        return img;
    }

    private static float sample(Volume v, Plane plane, int index, int c, int r) {
        return switch (plane) {
            case AXIAL -> v.get(c, r, index);
            case CORONAL -> v.get(c, index, r);
            case SAGITTAL -> v.get(index, c, r);
        };
    }

    /** Writes a PNG atomically. */
    public static void write(BufferedImage img, Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".tmp");
        try {
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Renders the phantom evidence: for each region an axial, coronal and sagittal PNG. */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "docs/phantoms");
        int size = args.length > 1 ? Integer.parseInt(args[1]) : 128;
        long seed = args.length > 2 ? Long.parseLong(args[2]) : 1;
        for (String region : Phantom.REGIONS) {
            long t0 = System.nanoTime();
            Volume v = Phantom.generate(region, size, seed);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            // axial level: kidneys (abdomen), heart and hila (thorax), liver and lung bases (fullbody)
            double axialFrac = switch (region) {
                case "abdomen" -> 0.45;
                case "thorax" -> 0.55;
                default -> 0.62;
            };
            int z = (int) (axialFrac * v.nz);
            int y = (int) (0.5 * v.ny);
            int x = v.nx / 2;
            double lo = -1000, hi = 400;
            write(render(v, Plane.AXIAL, z, lo, hi), out.resolve(region + "-axial.png"));
            write(render(v, Plane.CORONAL, y, lo, hi), out.resolve(region + "-coronal.png"));
            write(render(v, Plane.SAGITTAL, x, lo, hi), out.resolve(region + "-sagittal.png"));
            if (region.equals("thorax")) {
                write(render(v, Plane.AXIAL, z, -1350, 150), out.resolve(region + "-axial-lung.png"));
            }
            if (region.equals("abdomen")) {
                write(render(v, Plane.AXIAL, z, -175, 250), out.resolve(region + "-axial-soft.png"));
            }
            System.out.println(region + ": " + v + " generated in " + ms + " ms");
        }
    }
}
