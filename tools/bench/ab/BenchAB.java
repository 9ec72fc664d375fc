import java.net.*; import java.lang.reflect.*; import java.util.*;
/**
 * Old vs new tensor classes in one JVM (see SgemmAB) for any `bench` row: two class loaders,
 * each over one copy of tensor/target/classes in front of the harness jar (which supplies the
 * other modules and libraries), the rows' work timed alternately.
 *
 *   cp -r tensor/target/classes /tmp/old      # before the change; rebuild (mvn -o package -DskipTests) after it, then:
 *   javac -d /tmp/ab tools/bench/ab/BenchAB.java
 *   java --add-modules jdk.incubator.vector -cp /tmp/ab -Drows=mae-small,patch-embed BenchAB /tmp/old tensor/target/classes harness/target/maesil.jar
 *
 * Each side is warmed up as `bench` does (BenchRows.warmUpJit, then the row's warm-up count).
 */
public class BenchAB {
  public static void main(String[] a) throws Exception {
    int th = Integer.getInteger("t", 2), rounds = Integer.getInteger("rounds", 15);
    String[] ids = System.getProperty("rows", "mae-small").split(",");
    Object[][] work = new Object[2][ids.length]; Method run = null;
    int[] warm = new int[ids.length];
    for (int v = 0; v < 2; v++) {
      ClassLoader cl = new URLClassLoader(new URL[]{new java.io.File(a[v]).toURI().toURL(), new java.io.File(a[2]).toURI().toURL()}, ClassLoader.getPlatformClassLoader());
      Class<?> jb = cl.loadClass("org.maesil.tensor.JavaBackend"), rowsClass = cl.loadClass("org.maesil.harness.bench.BenchRows");
      Object be = jb.getConstructor(int.class).newInstance(th);
      rowsClass.getMethod("warmUpJit", cl.loadClass("org.maesil.tensor.Backend")).invoke(null, be);
      List<?> rows = (List<?>) rowsClass.getMethod("all", int.class, boolean.class).invoke(null, 3, false);
      for (int k = 0; k < ids.length; k++) {
        for (Object row : rows) {
          Class<?> rc = row.getClass();
          if (!rc.getMethod("id").invoke(row).equals(ids[k])) continue;
          Object setup = rc.getMethod("setup").invoke(row);
          Method prepare = setup.getClass().getMethod("prepare", cl.loadClass("org.maesil.tensor.Backend"));
          prepare.setAccessible(true);
          work[v][k] = prepare.invoke(setup, be);
          warm[k] = (Integer) rc.getMethod("warmup").invoke(row);
        }
        if (work[v][k] == null) throw new IllegalArgumentException("no row " + ids[k]);
      }
    }
    for (int k = 0; k < ids.length; k++) {
      Method r0 = work[0][k].getClass().getMethod("run"), r1 = work[1][k].getClass().getMethod("run");
      r0.setAccessible(true); r1.setAccessible(true);
      Method[] r = {r0, r1};
      for (int w = 0; w < warm[k]; w++) for (int v = 0; v < 2; v++) r[v].invoke(work[v][k]);
      double[][] t = new double[2][rounds];
      for (int i = 0; i < rounds; i++) for (int v = 0; v < 2; v++) { long s = System.nanoTime(); r[v].invoke(work[v][k]); t[v][i] = (System.nanoTime() - s) / 1e6; }
      int wins = 0; for (int i = 0; i < rounds; i++) if (t[1][i] < t[0][i]) wins++;
      double[] sa = t[0].clone(), sb = t[1].clone(); Arrays.sort(sa); Arrays.sort(sb);
      System.out.printf("%-12s A %.2f ms  B %.2f ms  (B/A %.3f, B faster in %d/%d)%n", ids[k], sa[rounds/2], sb[rounds/2], sb[rounds/2]/sa[rounds/2], wins, rounds);
    }
    System.exit(0);
  }
}
