import java.net.*; import java.lang.reflect.*; import java.util.*;
/**
 * Old vs new code in one JVM (see SgemmAB): JavaBackend from two copies of tensor/target/classes,
 * the bench's conv stack (1 -> 32 -> 64, k3 s2 p1, [2,1,64^3]) or one of its passes timed alternately.
 *
 *   java --add-modules jdk.incubator.vector -cp /tmp/ab -Dwork=fwd2,dW2,dX2,stack ConvAB /tmp/old tensor/target/classes
 *
 * work: fwd1, fwd2 (forward of each layer), dW2, dW1 (weight and bias gradients), dX2 (input
 * gradient of layer 2), stack (all of them with the ReLU between, as `bench --only conv-stack`);
 * peF, peW, pe: the bench's patch embedding (k8 s8, 1 -> 768, [2,1,128^3]): forward, dW + db, both.
 *
 * With one directory instead of two, one copy is timed alone (tools/bench/conv_passes.py): its
 * buffers alone in the caches, as in the bench. -Dwarm (ms, default 0): warm-up time per work on
 * top of the 15 calls per copy (a row needs about a second before C2 is done, lesson 18).
 */
public class ConvAB {
  static float[] rnd(int n, long s){ Random r=new Random(s); float[] a=new float[n]; for(int i=0;i<n;i++) a[i]=(float)r.nextGaussian(); return a;}
  /** Nanoseconds: wall time, or the calling thread's CPU time (not counting time stolen by the host's other guests). */
  static long clock(boolean cpu) {
    return cpu ? java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() : System.nanoTime();
  }
  public static void main(String[] a) throws Exception {
    boolean cpu = Boolean.getBoolean("cpu"); // the main thread's CPU time, not wall time (with -Dt=1 only)
    if (cpu && Integer.getInteger("t", 2) != 1) throw new IllegalArgumentException("-Dcpu=true needs -Dt=1: the workers' time is not counted");
    int th = Integer.getInteger("t", 2), rounds = Integer.getInteger("rounds", 30), inner = Integer.getInteger("inner", 3);
    String[] works = System.getProperty("work", "stack").split(",");
    int copies = a.length == 1 ? 1 : 2;
    long warm = Long.getLong("warm", 0);
    Runnable[][] run = new Runnable[copies][works.length];
    // one set of arrays for both copies: where the arrays lie changes the speed (lesson 22)
    float[] x=rnd(2*64*64*64,1), w1=rnd(32*27,2), b1=rnd(32,3), w2=rnd(64*32*27,4), b2=rnd(64,5);
    float[] h=rnd(2*32*32*32*32,9), hr=new float[h.length], y=new float[2*64*4096], dy=rnd(2*64*4096,6), dh=new float[h.length];
    float[] dw1=new float[32*27], db1=new float[32], dw2=new float[64*32*27], db2=new float[64];
    boolean pe = Arrays.stream(works).anyMatch(w -> w.startsWith("pe"));
    float[] x3 = pe ? rnd(2*128*128*128,7) : null, w3 = pe ? rnd(768*512,8) : null, b3 = rnd(768,10), db3 = new float[768];
    float[] y3 = pe ? new float[2*768*4096] : null, dy3 = pe ? rnd(2*768*4096,11) : null, dw3 = pe ? new float[768*512] : null;
    for (int v = 0; v < copies; v++) {
      ClassLoader cl = new URLClassLoader(new URL[]{new java.io.File(a[v]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
      Class<?> jb = cl.loadClass("org.maesil.tensor.JavaBackend"), geo = cl.loadClass("org.maesil.tensor.Conv3dGeometry");
      Object be = jb.getConstructor(int.class).newInstance(th);
      Method cubic = geo.getMethod("cubic", int.class, int.class, int.class, int.class, int.class, int.class, int.class, int.class, int.class);
      Object g1 = cubic.invoke(null, 2,1,32,64,64,64,3,2,1), g2 = cubic.invoke(null, 2,32,64,32,32,32,3,2,1);
      Method fwd = jb.getMethod("conv3dForward", float[].class, float[].class, float[].class, float[].class, geo);
      Method dw = jb.getMethod("conv3dBackwardWeight", float[].class, float[].class, float[].class, float[].class, geo);
      Method dx = jb.getMethod("conv3dBackwardInput", float[].class, float[].class, float[].class, geo);
      Object g3 = cubic.invoke(null, 2,1,768,128,128,128,8,8,0);
      for (int k = 0; k < works.length; k++) {
        String wk = works[k];
        run[v][k] = () -> { try { switch (wk) {
          case "fwd1": fwd.invoke(be, x, w1, b1, h, g1); break;
          case "fwd2": fwd.invoke(be, h, w2, b2, y, g2); break;
          case "dW2": dw.invoke(be, h, dy, dw2, db2, g2); break;
          case "dX2": dx.invoke(be, dy, w2, dh, g2); break;
          case "dW1": dw.invoke(be, x, dh, dw1, db1, g1); break;
          case "peF": fwd.invoke(be, x3, w3, b3, y3, g3); break;
          case "peW": dw.invoke(be, x3, dy3, dw3, db3, g3); break;
          case "pe": fwd.invoke(be, x3, w3, b3, y3, g3); dw.invoke(be, x3, dy3, dw3, db3, g3); break;
          default:
            fwd.invoke(be, x, w1, b1, h, g1); for (int i = 0; i < h.length; i++) hr[i] = Math.max(h[i], 0f);
            fwd.invoke(be, hr, w2, b2, y, g2); dw.invoke(be, hr, dy, dw2, db2, g2); dx.invoke(be, dy, w2, dh, g2);
            for (int i = 0; i < h.length; i++) { int bits = Float.floatToRawIntBits(h[i]); dh[i] = Float.intBitsToFloat(Float.floatToRawIntBits(dh[i]) & ((-bits & ~bits) >> 31)); }
            dw.invoke(be, x, dh, dw1, db1, g1);
        } } catch (Exception e) { throw new RuntimeException(e); } };
      }
    }
    for (int k = 0; k < works.length; k++) {
      double[][] t = new double[copies][rounds];
      for (int w = 0; w < 15; w++) for (int v = 0; v < copies; v++) run[v][k].run();
      for (long end = System.nanoTime() + warm * 1_000_000; System.nanoTime() < end; ) for (int v = 0; v < copies; v++) run[v][k].run();
      for (int i = 0; i < rounds; i++) for (int v = 0; v < copies; v++) { long s = clock(cpu); for (int j = 0; j < inner; j++) run[v][k].run(); t[v][i] = (clock(cpu) - s) / (inner * 1e6); }
      if (copies == 1) {
        double[] sa = t[0].clone(); Arrays.sort(sa);
        System.out.printf("%-6s A %.2f ms%n", works[k], sa[rounds/2]);
        continue;
      }
      int wins = 0; for (int i = 0; i < rounds; i++) if (t[1][i] < t[0][i]) wins++;
      double[] sa = t[0].clone(), sb = t[1].clone(); Arrays.sort(sa); Arrays.sort(sb);
      System.out.printf("%-6s A %.2f ms  B %.2f ms  (B/A %.3f, B faster in %d/%d)%n", works[k], sa[rounds/2], sb[rounds/2], sb[rounds/2]/sa[rounds/2], wins, rounds);
    }
    System.exit(0);
  }
}
