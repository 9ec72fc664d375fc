package org.maesil.report;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import javax.imageio.ImageIO;

/**
 * Slices of a volume (index x + nx*(y + ny*z), z superior-inferior) as PNG images embedded in
 * HTML as base64 data URIs. Orientation: axial slice z shows rows y, columns x; coronal slice y
 * and sagittal slice x show z upwards (superior at the top), columns x and y respectively.
 */
public final class SliceImages {
    private SliceImages() {}

    public enum View { AXIAL, CORONAL, SAGITTAL }

    /** A 2D image [height, width], row-major, values as given. */
    public record Image(int width, int height, float[] pixels) {}

    /** The middle slice of a view. */
    public static Image middle(float[] v, int nx, int ny, int nz, View view) {
        return switch (view) {
            case AXIAL -> slice(v, nx, ny, nz, view, nz / 2);
            case CORONAL -> slice(v, nx, ny, nz, view, ny / 2);
            case SAGITTAL -> slice(v, nx, ny, nz, view, nx / 2);
        };
    }

    /** Slice s of a view (see the class comment for orientation). */
    public static Image slice(float[] v, int nx, int ny, int nz, View view, int s) {
        switch (view) {
            case AXIAL -> {
                float[] p = new float[nx * ny];
                for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) p[y * nx + x] = v[x + nx * (y + ny * s)];
                return new Image(nx, ny, p);
            }
            case CORONAL -> {
                float[] p = new float[nx * nz];
                for (int z = 0; z < nz; z++) for (int x = 0; x < nx; x++) p[(nz - 1 - z) * nx + x] = v[x + nx * (s + ny * z)];
                return new Image(nx, nz, p);
            }
            default -> {
                float[] p = new float[ny * nz];
                for (int z = 0; z < nz; z++) for (int y = 0; y < ny; y++) p[(nz - 1 - z) * ny + y] = v[s + nx * (y + ny * z)];
                return new Image(ny, nz, p);
            }
        }
    }

    /** |a - b| pixel by pixel. */
    public static Image absoluteError(Image a, Image b) {
        float[] p = new float[a.pixels().length];
        for (int i = 0; i < p.length; i++) p[i] = Math.abs(a.pixels()[i] - b.pixels()[i]);
        return new Image(a.width(), a.height(), p);
    }

    /** Grey PNG of values on [0, 1] (clamped). */
    public static byte[] greyPng(Image img) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int g = toByte(img.pixels()[y * img.width() + x]);
                bi.setRGB(x, y, (g << 16) | (g << 8) | g);
            }
        }
        return png(bi);
    }

    /** Heat-map PNG (black - red - yellow - white) of values on [0, max] (clamped). */
    public static byte[] heatPng(Image img, float max) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                float t = max > 0 ? img.pixels()[y * img.width() + x] / max : 0;
                bi.setRGB(x, y, hot(t));
            }
        }
        return png(bi);
    }

    /**
     * Grey PNG of values on [0, 1] with the masked pixels (mask > 0.5) tinted: colour =
     * (1 - alpha) grey + alpha tint, alpha 0.45, tint red-orange.
     */
    public static byte[] maskedPng(Image img, Image mask) {
        BufferedImage bi = new BufferedImage(img.width(), img.height(), BufferedImage.TYPE_INT_RGB);
        float alpha = 0.45f;
        for (int y = 0; y < img.height(); y++) {
            for (int x = 0; x < img.width(); x++) {
                int i = y * img.width() + x;
                float g = clamp01(img.pixels()[i]);
                if (mask.pixels()[i] > 0.5f) {
                    int r = toByte((1 - alpha) * g + alpha * 1.0f);
                    int gg = toByte((1 - alpha) * g + alpha * 0.35f);
                    int b = toByte((1 - alpha) * g + alpha * 0.1f);
                    bi.setRGB(x, y, (r << 16) | (gg << 8) | b);
                } else {
                    int v = toByte(g);
                    bi.setRGB(x, y, (v << 16) | (v << 8) | v);
                }
            }
        }
        return png(bi);
    }

    /** "data:image/png;base64,..." for embedding. */
    public static String dataUri(byte[] png) {
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(png);
    }

    /** The "hot" colour map at t in [0, 1]: black -> red -> yellow -> white. */
    static int hot(float t) {
        t = clamp01(t);
        int r = toByte(t * 3f), g = toByte(t * 3f - 1f), b = toByte(t * 3f - 2f);
        return (r << 16) | (g << 8) | b;
    }

    private static float clamp01(float v) {
        return v < 0 ? 0 : (v > 1 ? 1 : (Float.isNaN(v) ? 0 : v));
    }

    private static int toByte(float v) {
        return Math.round(clamp01(v) * 255f);
    }

    private static byte[] png(BufferedImage bi) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(bi, "png", out)) throw new IOException("no PNG writer");
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
