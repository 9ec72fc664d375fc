package org.maesil.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SliceRendererTest {
    @TempDir
    Path tmp;

    @Test
    void slicesKeepTheAspectRatioAndTheWindow() throws IOException {
        int nx = 10, ny = 6, nz = 4;
        float[] d = new float[nx * ny * nz];
        for (int z = 0; z < nz; z++) for (int y = 0; y < ny; y++) for (int x = 0; x < nx; x++) d[x + nx * (y + ny * z)] = z == nz - 1 ? 400 : -1000;
        Volume v = Volume.of(d, nx, ny, nz, new double[] {1, 1, 3}, "test");
        BufferedImage ax = SliceRenderer.render(v, SliceRenderer.Plane.AXIAL, nz - 1, -1000, 400);
        assertThat(new int[] {ax.getWidth(), ax.getHeight()}).containsExactly(10, 6);
        assertThat(ax.getRaster().getSample(3, 3, 0)).isEqualTo(255);
        BufferedImage cor = SliceRenderer.render(v, SliceRenderer.Plane.CORONAL, 2, -1000, 400);
        assertThat(new int[] {cor.getWidth(), cor.getHeight()}).containsExactly(10, 12); // 4 slices of 3 mm
        assertThat(cor.getRaster().getSample(5, 0, 0)).as("superior at the top").isEqualTo(255);
        assertThat(cor.getRaster().getSample(5, 11, 0)).isEqualTo(0);
        BufferedImage sag = SliceRenderer.render(v, SliceRenderer.Plane.SAGITTAL, 4, -1000, 400);
        assertThat(new int[] {sag.getWidth(), sag.getHeight()}).containsExactly(6, 12);
        Path f = tmp.resolve("a.png");
        SliceRenderer.write(cor, f);
        assertThat(ImageIO.read(f.toFile()).getHeight()).isEqualTo(12);
    }

    @Test
    void axisCodesNameTheDirections() {
        Volume v = new Volume(new float[8], 2, 2, 2, new double[] {1, 1, 1},
                new double[] {-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}, "lps");
        assertThat(v.axisCodes()).isEqualTo("LPS");
        assertThat(Phantom.generate("abdomen", 16, 1).axisCodes()).isEqualTo("LPS");
    }
}
