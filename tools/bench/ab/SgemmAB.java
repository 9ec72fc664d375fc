import java.net.*; import java.lang.reflect.*; import java.util.*;
/**
 * Old vs new code in one JVM, so that the host's drift (up to 40% here between runs) hits both alike:
 * two class loaders over two copies of tensor/target/classes, sgemm n^3 timed alternately.
 *
 *   cp -r tensor/target/classes /tmp/old      # before the change; rebuild after it, then:
 *   javac -d /tmp/ab tools/bench/ab/SgemmAB.java
 *   java --add-modules jdk.incubator.vector -cp /tmp/ab -Dn=1024 -Dt=2 -Drounds=30 SgemmAB /tmp/old tensor/target/classes
 *
 * Prints each side's median and in how many rounds B (the second directory) was faster.
 * -Dm, -Dk (default n): other shapes, e.g. the patch embedding's -Dm=768 -Dn=4096 -Dk=512
 * (forward) and -Dm=768 -Dn=512 -Dk=4096 (dW).
 */
public class SgemmAB {
  public static void main(String[] a) throws Exception {
    int n = Integer.getInteger("n", 1024), m = Integer.getInteger("m", n), k = Integer.getInteger("k", n), th = Integer.getInteger("t", 2), rounds = Integer.getInteger("rounds", 30);
    Object[] mm = new Object[2]; Method[] gemm = new Method[2];
    for (int v = 0; v < 2; v++) {
      ClassLoader cl = new URLClassLoader(new URL[]{new java.io.File(a[v]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
      Class<?> par = cl.loadClass("org.maesil.tensor.Parallel"), fm = cl.loadClass("org.maesil.tensor.fast.FastMatmul");
      Object p = par.getConstructor(int.class).newInstance(th);
      mm[v] = fm.getConstructor(par).newInstance(p);
      gemm[v] = fm.getMethod("gemm", float[].class, int.class, int.class, boolean.class, float[].class, int.class, int.class, boolean.class, float[].class, int.class, int.class, int.class, int.class, int.class, boolean.class);
    }
    Random r = new Random(1); float[] x = new float[m*k], y = new float[k*n], c = new float[m*n];
    for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
    for (int i = 0; i < y.length; i++) y[i] = (float) r.nextGaussian();
    double[][] t = new double[2][rounds];
    for (int w = 0; w < 15; w++) for (int v = 0; v < 2; v++) gemm[v].invoke(mm[v], x,0,k,false, y,0,n,false, c,0,n, m,n,k, false);
    for (int i = 0; i < rounds; i++) for (int v = 0; v < 2; v++) { long s = System.nanoTime(); for (int j = 0; j < 3; j++) gemm[v].invoke(mm[v], x,0,k,false, y,0,n,false, c,0,n, m,n,k, false); t[v][i] = (System.nanoTime() - s) / 3e6; }
    int wins = 0; for (int i = 0; i < rounds; i++) if (t[1][i] < t[0][i]) wins++;
    for (int v = 0; v < 2; v++) { double[] s = t[v].clone(); Arrays.sort(s); System.out.printf("%s: median %.2f ms (%.0f GFLOP/s)%n", v == 0 ? "A" : "B", s[rounds/2], 2.0*m*n*k/s[rounds/2]/1e6); }
    System.out.printf("B faster in %d of %d rounds%n", wins, rounds);
    System.exit(0);
  }
}
