package org.maesil.tensor;

/**
 * The shapes of one 3D convolution, NCDHW layout.
 *
 * <p>Input x: [n, cin, inD, inH, inW]; weight w: [cout, cin, kD, kH, kW]; bias: [cout];
 * output y: [n, cout, outD, outH, outW] with out = (in + 2 pad - k) / stride + 1.
 *
 * <p>A transposed convolution uses the same geometry read backwards: its input has the shape
 * of y, its output the shape of x, and its weight is stored [cout, cin, k...] as here
 * (PyTorch stores ConvTranspose3d weights [in_channels, out_channels, k...], which is the
 * same array when in_channels = this cout).
 */
public record Conv3dGeometry(int n, int cin, int cout,
                             int inD, int inH, int inW,
                             int kD, int kH, int kW,
                             int sD, int sH, int sW,
                             int pD, int pH, int pW) {

    public Conv3dGeometry {
        if (n < 1 || cin < 1 || cout < 1) throw new IllegalArgumentException("n, cin, cout must be >= 1");
        if (kD < 1 || kH < 1 || kW < 1) throw new IllegalArgumentException("kernel sizes must be >= 1");
        if (sD < 1 || sH < 1 || sW < 1) throw new IllegalArgumentException("strides must be >= 1");
        if (pD < 0 || pH < 0 || pW < 0) throw new IllegalArgumentException("padding must be >= 0");
        if (inD + 2 * pD < kD || inH + 2 * pH < kH || inW + 2 * pW < kW) {
            throw new IllegalArgumentException("kernel larger than padded input: " + this);
        }
    }

    /** Cubic kernel, equal stride and padding on every axis. */
    public static Conv3dGeometry cubic(int n, int cin, int cout, int inD, int inH, int inW,
                                       int k, int stride, int pad) {
        return new Conv3dGeometry(n, cin, cout, inD, inH, inW, k, k, k, stride, stride, stride, pad, pad, pad);
    }

    public int outD() { return (inD + 2 * pD - kD) / sD + 1; }
    public int outH() { return (inH + 2 * pH - kH) / sH + 1; }
    public int outW() { return (inW + 2 * pW - kW) / sW + 1; }

    public int inputSize() { return n * cin * inD * inH * inW; }
    public int weightSize() { return cout * cin * kD * kH * kW; }
    public int outputSize() { return n * cout * outD() * outH() * outW(); }

    /**
     * The geometry as the int array the kernels take (org.maesil.tensor.kernels.Conv3d):
     * n, cin, cout, inD, inH, inW, kD, kH, kW, sD, sH, sW, pD, pH, pW, outD, outH, outW.
     */
    public int[] packed() {
        return new int[] {n, cin, cout, inD, inH, inW, kD, kH, kW, sD, sH, sW, pD, pH, pW, outD(), outH(), outW()};
    }

    /** Multiply-adds of the forward pass (x2 for FLOPs). */
    public long macs() { return (long) outputSize() * cin * kD * kH * kW; }
}
