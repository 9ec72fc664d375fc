package org.maesil.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;

/**
 * Synthetic CT phantoms in Hounsfield units, the embedded default data: a contrast-enhanced
 * (portal venous phase) adult torso, built from simple shapes placed by anatomy.
 *
 * <p>What is in it: air around the body and a patient table; skin, subcutaneous fat and wall
 * muscles; the spine (vertebral bodies with cortex and cancellous bone, discs, spinal canal,
 * posterior elements) with paraspinal muscles; ribs sloping down from the spine with costal
 * cartilage, sternum, clavicles; lungs near -850 HU (denser posteriorly) with branching vessel
 * trees, airways (trachea, main bronchi) and a few nodules; heart with contrast-filled chambers,
 * aorta, vena cava, pulmonary arteries; diaphragm domes; liver with portal vessels, gallbladder,
 * spleen, stomach with an air-fluid level, kidneys (cortex, medulla, sinus), pancreas, psoas
 * muscles; small bowel and colon with gas and fluid; pelvis (sacrum, iliac wings, femoral heads,
 * bladder, gluteal muscles) in the full-body region. Then a slight blur (scanner point spread)
 * and spatially correlated Gaussian noise (sigma 10-22 HU, varies by seed).
 *
 * <p>Variation from seed to seed: body size and fat thickness, diaphragm height, organ sizes and
 * positions, vessel trees, nodules, bowel loops and their contents, noise level. The same seed
 * gives the same volume, bit for bit, whatever the thread count.
 *
 * <p>Geometry: {@code size}^3 voxels; 400 mm field of view in-plane; z covers the region
 * (abdomen 300 mm, thorax 300 mm, full body 700 mm: pelvis to lung apices). Voxel x increases towards the patient's left,
 * y towards posterior, z towards superior (affine LPS-like, i.e. axis codes "LPS"), so an axial
 * slice shown with x to the right and y down is in the radiological convention.
 */
public final class Phantom {
    private Phantom() {}

    public static final float AIR = -1000, FAT = -100, MUSCLE = 50, SKIN = 30;
    /** Marker lumen value: stool, drawn as a mottled mix of gas and soft matter. */
    static final float STOOL = -12345;

    /** The regions phantoms can show. */
    public static final List<String> REGIONS = List.of("abdomen", "thorax", "fullbody");

    /** Generates a phantom; {@code region} is abdomen, thorax or fullbody; size 8..1024. */
    public static Volume generate(String region, int size, long seed) {
        double[] range = heights(region);
        double w0 = range[0], w1 = range[1];
        if (size < 8 || size > 1024) throw new IllegalArgumentException("phantom size must be 8..1024, got " + size);
        Anatomy a = new Anatomy(seed);
        double sxy = 400.0 / size, sz = (w1 - w0) / size;
        Grid g = new Grid(size, sxy, sz, w0, a.vShift);
        a.paintOverlays(g);
        float[] hu = new float[size * size * size];
        IntStream.range(0, size).parallel().forEach(k -> {
            double w = g.w(k);
            Slice s = a.slice(w);
            for (int j = 0; j < size; j++) {
                double v = g.v(j);
                for (int i = 0; i < size; i++) {
                    int idx = i + size * (j + size * k);
                    hu[idx] = a.hu(g.u(i), v, w, s, idx);
                }
            }
        });
        float[] blurred = blurInPlane(hu, size);
        addNoise(blurred, size, seed, a.noiseSigma);
        double[] affine = {
                -sxy, 0, 0, -(g.u(0)),
                0, -sxy, 0, -(g.v(0)),
                0, 0, sz, g.w(0),
                0, 0, 0, 1};
        return new Volume(blurred, size, size, size, new double[] {sxy, sxy, sz}, affine,
                "phantom " + region + " size " + size + " seed " + seed);
    }

    /** The heights (mm, 0 at the pelvic floor) a region covers: {bottom, top}. */
    static double[] heights(String region) {
        return switch (region) {
            case "abdomen" -> new double[] {170, 470};
            case "thorax" -> new double[] {390, 690};
            case "fullbody" -> new double[] {0, 700};
            default -> throw new IllegalArgumentException("unknown phantom region '" + region + "' (abdomen, thorax or fullbody)");
        };
    }

    /** The voxel (i, j, k) nearest to phantom millimetres (u, v, w) in {@code generate(region, size, seed)} (tests). */
    static int[] voxelOf(String region, int size, long seed, double u, double v, double w) {
        double w0 = heights(region)[0], w1 = heights(region)[1];
        Anatomy a = new Anatomy(seed);
        Grid g = new Grid(size, 400.0 / size, (w1 - w0) / size, w0, a.vShift);
        return new int[] {
                (int) Math.round((u + 200) / g.sxy - 0.5),
                (int) Math.round((v + 200 - g.vShift) / g.sxy - 0.5),
                (int) Math.round((w - w0) / g.sz - 0.5)};
    }

    /** Voxel index to phantom millimetres: u lateral (+ patient left), v posterior, w superior. */
    static final class Grid {
        final int n;
        final double sxy, sz, w0, vShift;

        Grid(int n, double sxy, double sz, double w0, double vShift) {
            this.n = n;
            this.sxy = sxy;
            this.sz = sz;
            this.w0 = w0;
            this.vShift = vShift;
        }

        double u(int i) { return (i + 0.5) * sxy - 200; }
        double v(int j) { return (j + 0.5) * sxy - 200 + vShift; }
        double w(int k) { return w0 + (k + 0.5) * sz; }
        int i(double u) { return (int) Math.floor((u + 200) / sxy - 0.5); }
        int j(double v) { return (int) Math.floor((v + 200 - vShift) / sxy - 0.5); }
        int k(double w) { return (int) Math.floor((w - w0) / sz - 0.5); }
    }

    /** Values that depend only on the height w (computed once per axial slice). */
    static final class Slice {
        double a, bAnt, bPost, vSpine, fatScale, muscle;
        boolean disc;           // the vertebral level here is an intervertebral disc
        boolean transverse;     // the height of a vertebra's transverse processes (its upper middle)
        double endplate;        // 0..1, closeness to a vertebral endplate
        int thoracicLevel;      // 1..12 within the thoracic spine, else 0
    }

    /** A tube segment from p0 to p1 with radii r0, r1 (mm). */
    record Tube(double[] p0, double[] p1, double r0, double r1) {}


    static final class Anatomy {
        final SplittableRandom rnd;
        final double scaleA, scaleB, fatScale, vShift, wDiaph, noiseSigma;
        final double[] discs;            // heights of intervertebral discs, bottom to top
        final int firstThoracicDisc;     // index in discs of the T12/L1 disc
        final double[] liverC, liverR, liverLC, liverLR, spleenC, spleenR, stomachC, stomachR, kidneyLC, kidneyRC, kidneyR,
                gallC, gallR, heartC, heartR, bladderC, bladderR;
        final double stomachLevel;
        final List<double[]> nodules = new ArrayList<>();   // u, v, w, radius
        final double[][] deformK = new double[6][];         // low-frequency boundary deformation
        // overlays, one value per voxel (NaN = nothing there), filled by paintOverlays
        float[] deep;       // great vessels, airways, pancreas: override cavity contents
        float[] bowel;      // bowel loops: below organs
        float[] lungVessel; // coverage 0..1 of lung vessels
        float[] liverVessel;// coverage 0..1 of portal/hepatic vessels
        Grid grid;

        Anatomy(long seed) {
            rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 12345);
            scaleA = 0.9 + 0.2 * rnd.nextDouble();
            scaleB = 0.9 + 0.2 * rnd.nextDouble();
            fatScale = 0.5 + 1.2 * rnd.nextDouble();
            vShift = -5 + 10 * rnd.nextDouble();
            wDiaph = 440 + 25 * rnd.nextDouble();
            noiseSigma = 10 + 12 * rnd.nextDouble();
            // spine: 5 lumbar discs from L5/S1 (at 175..185) then 12 thoracic, then cervical
            List<Double> d = new ArrayList<>();
            double w = 175 + 10 * rnd.nextDouble();
            d.add(w);
            for (int i = 0; i < 5; i++) d.add(w += 33 + 3 * rnd.nextDouble());
            firstThoracicDisc = d.size() - 1;
            for (int i = 0; i < 12; i++) d.add(w += 23 + 3 * rnd.nextDouble());
            for (int i = 0; i < 6; i++) d.add(w += 17);
            discs = d.stream().mapToDouble(Double::doubleValue).toArray();
            liverC = jitter(new double[] {-60, 0, wDiaph - 70}, 8);
            liverR = scale(new double[] {85, 88, 90}, 0.12);
            liverLC = jitter(new double[] {15, -42, wDiaph - 35}, 8);
            liverLR = scale(new double[] {55, 35, 45}, 0.2);
            spleenC = jitter(new double[] {82, 42, wDiaph - 55}, 6);
            spleenR = scale(new double[] {28, 50, 55}, 0.2);
            stomachC = jitter(new double[] {48, -25, wDiaph - 50}, 8);
            stomachR = scale(new double[] {42, 38, 45}, 0.2);
            stomachLevel = -0.6 + 0.8 * rnd.nextDouble();
            kidneyR = scale(new double[] {26, 27, 55}, 0.1);
            kidneyLC = jitter(new double[] {72, 0, wDiaph - 135}, 6);
            kidneyRC = jitter(new double[] {-72, 0, wDiaph - 152}, 6);
            gallC = jitter(new double[] {-48, -55, wDiaph - 112}, 6);
            gallR = scale(new double[] {15, 16, 28}, 0.25);
            heartC = jitter(new double[] {18, -40, wDiaph + 45}, 6);
            heartR = scale(new double[] {62, 46, 55}, 0.1);
            bladderC = jitter(new double[] {0, -45, 65}, 6);
            bladderR = scale(new double[] {45, 35, 38}, 0.25);
            for (int i = 0; i < deformK.length; i++) {
                deformK[i] = new double[] {rnd.nextGaussian() / 40, rnd.nextGaussian() / 40, rnd.nextGaussian() / 40, 2 * Math.PI * rnd.nextDouble()};
            }
        }

        private double[] jitter(double[] c, double mm) {
            double[] o = c.clone();
            for (int i = 0; i < 3; i++) o[i] += mm * (2 * rnd.nextDouble() - 1);
            return o;
        }

        private double[] scale(double[] r, double frac) {
            double f = 1 + frac * (2 * rnd.nextDouble() - 1);
            double[] o = r.clone();
            for (int i = 0; i < 3; i++) o[i] *= f * (1 + 0.05 * (2 * rnd.nextDouble() - 1));
            return o;
        }

        /** Smooth deformation in [-1, 1] (sum of two random plane waves) for organ boundaries. */
        double deform(double u, double v, double w, int which) {
            double[] k1 = deformK[which % 6], k2 = deformK[(which + 3) % 6];
            return 0.5 * (Math.sin(k1[0] * u + k1[1] * v + k1[2] * w + k1[3]) + Math.sin(k2[0] * u + k2[1] * v + k2[2] * w + k2[3]));
        }

        // ---------------------------------------------------------------- body shape per height

        private static final double[] KW = {-50, 80, 170, 260, 380, 450, 560, 650, 760};
        private static final double[] KA = {178, 180, 165, 150, 152, 160, 160, 148, 135};
        private static final double[] KBA = {100, 105, 108, 112, 112, 105, 100, 95, 90};
        private static final double[] KBP = {108, 112, 100, 98, 100, 105, 108, 105, 100};

        static double knot(double[] ys, double w) {
            if (w <= KW[0]) return ys[0];
            for (int i = 1; i < KW.length; i++) {
                if (w <= KW[i]) {
                    double t = (w - KW[i - 1]) / (KW[i] - KW[i - 1]);
                    t = t * t * (3 - 2 * t);
                    return ys[i - 1] + t * (ys[i] - ys[i - 1]);
                }
            }
            return ys[ys.length - 1];
        }

        Slice slice(double w) {
            Slice s = new Slice();
            double fatGain = 1 + 0.25 * (fatScale - 1);
            s.a = knot(KA, w) * scaleA * fatGain;
            s.bAnt = knot(KBA, w) * scaleB * fatGain * (w < wDiaph - 30 ? 1 + 0.1 * (fatScale - 1) : 1);
            s.bPost = knot(KBP, w) * scaleB * (1 + 0.1 * (fatScale - 1));
            s.fatScale = fatScale;
            s.vSpine = vSpine(w);
            s.muscle = 10;
            // nearest disc
            int best = 0;
            for (int i = 1; i < discs.length; i++) if (Math.abs(discs[i] - w) < Math.abs(discs[best] - w)) best = i;
            double pitch = best + 1 < discs.length ? discs[best + 1] - discs[best] : 17;
            double dist = Math.abs(w - discs[best]);
            s.disc = dist < 0.13 * pitch && w > discs[0] - 3;
            s.endplate = Math.max(0, 1 - Math.abs(dist - 0.13 * pitch) / 2.0);
            double rel = (w - discs[best]) / pitch; // -0.5..0.5 around the nearest disc
            s.transverse = rel < -0.2 && rel > -0.45;
            // thoracic level: vertebra between disc firstThoracicDisc + (12 - L) and the next
            for (int t = 1; t <= 12; t++) {
                int lo = firstThoracicDisc + 12 - t;
                if (w >= discs[lo] && w < discs[lo + 1]) s.thoracicLevel = t;
            }
            return s;
        }

        /** Centre of the vertebral bodies (v, mm): further back in the chest, where the lungs wrap around it. */
        double vSpine(double w) {
            double bPost = knot(KBP, w) * scaleB * (1 + 0.1 * (fatScale - 1));
            double t = Math.max(0, Math.min(1, (w - (wDiaph - 130)) / 160));
            t = t * t * (3 - 2 * t); // smooth curve of the spine (lumbar lordosis into thoracic kyphosis)
            return bPost - (72 - 14 * t) - 10 * (fatScale - 1);
        }

        /** Body outline: normalised radius (1 at the skin), anterior rounder, posterior flatter. */
        static double bodyRho(double u, double v, Slice s) {
            double x = Math.abs(u) / s.a;
            if (v < 0) {
                double y = -v / s.bAnt;
                return Math.sqrt(x * x + y * y);                 // anterior: an ellipse
            }
            double y = v / s.bPost;
            return Math.cbrt(x * x * x + y * y * y);             // posterior: flatter (superellipse, power 3)
        }

        /** Diaphragm (lung base) height at (u, v): right dome higher, lower laterally and posteriorly. */
        double lungBase(double u, double v) {
            double side = u < 0 ? 0 : -15;
            double lat = (Math.abs(u) - 55) / 80, ap = (v + 10) / 85;
            return wDiaph + side - 35 * lat * lat - 25 * ap * ap - 20 * Math.max(0, v / 80);
        }

        // ---------------------------------------------------------------- the voxel value

        float hu(double u, double v, double w, Slice s, int idx) {
            double rho = bodyRho(u, v, s);
            if (rho > 1) return table(u, v, s);
            double dist = Math.hypot(u, v);
            double depth = dist * (1 - rho) / Math.max(rho, 1e-6);
            double ant = Math.max(0, -v / s.bAnt), lateral = Math.abs(u) / s.a;
            boolean thoraxLevel = w > wDiaph - 60;
            double fatT = s.fatScale * (thoraxLevel ? 7 + 5 * lateral : 9 + 14 * ant + 10 * lateral) * (v > 0 ? 0.7 : 1);
            if (w < 200) fatT *= 1.3;
            if (depth < 2.2) return SKIN;
            if (depth < fatT) return FAT + 8 * (float) deform(u, v, w, 1);
            float bone = bone(u, v, w, s, depth, fatT);
            if (!Float.isNaN(bone)) return bone;
            double muscleT = s.muscle + extraWall(u, v, w, s);
            if (depth < fatT + muscleT) return MUSCLE;
            if (paraspinal(u, v, s) || psoas(u, v, w, s) || gluteal(u, v, w, s)) return MUSCLE + 5 * (float) deform(u, v, w, 2);
            // thoracic wall: ribs band (intercostal muscle between ribs)
            double cavity = fatT + muscleT + (w > wDiaph - 80 && w < discs[discs.length - 4] ? 11 : 0);
            if (depth < cavity) return MUSCLE - 5;
            float deepV = deep[idx];
            if (!Float.isNaN(deepV)) return deepV;
            double base = lungBase(u, v);
            if (w > base - 4 && w > wDiaph - 120) {
                float h = heart(u, v, w);
                if (!Float.isNaN(h)) return h;
                if (w > base && lung(u, v, w, s)) return lungValue(u, v, w, s, idx);
                if (w > base + 3 && w > wDiaph) return -80 + 10 * (float) deform(u, v, w, 3); // mediastinal fat
                if (w > base) return MUSCLE; // diaphragm muscle at the lung boundary
            }
            float organ = organ(u, v, w, s, base, idx);
            if (!Float.isNaN(organ)) return organ;
            float bw = bowel[idx];
            if (bw == STOOL) return stool(u, v, w);
            if (!Float.isNaN(bw)) return bw;
            return -95 + 8 * (float) deform(u, v, w, 4); // intra-abdominal fat
        }

        /** Stool: gas bubbles in soft matter, from a cheap hash of the position on a 4 mm lattice. */
        static float stool(double u, double v, double w) {
            long h = (long) Math.floor(u / 4) * 73856093L ^ (long) Math.floor(v / 4) * 19349663L ^ (long) Math.floor(w / 4) * 83492791L;
            h ^= h >>> 13;
            h *= 0x5bd1e995L;
            h ^= h >>> 15;
            int b = (int) (h & 7);
            return b < 3 ? AIR : (b < 5 ? -300 : 10);
        }

        float table(double u, double v, Slice s) {
            double curve = s.bPost + 1 - 0.0009 * u * u;
            double dv = v - curve;
            if (Math.abs(u) < 190) {
                if (dv > 0 && dv < 2.5) return 120;
                if (dv >= 2.5 && dv < 14) return -550;
                if (dv >= 14 && dv < 17) return 120;
            }
            return AIR;
        }

        boolean paraspinal(double u, double v, Slice s) {
            double chest = Math.max(0, Math.min(1, (s.bPost - s.vSpine - 58) / 14)); // 0 in the chest, 1 in the abdomen
            double du = (Math.abs(u) - 36) / (26 + 4 * chest), dv = (v - (s.vSpine + 40 + 8 * chest)) / (20 + 8 * chest);
            return du * du + dv * dv < 1;
        }

        boolean psoas(double u, double v, double w, Slice s) {
            if (w > wDiaph - 115 || w < 90) return false;
            double grow = Math.min(1, (wDiaph - 115 - w) / 90);
            double r = 8 + 16 * grow;
            double cu = 28 + 0.25 * Math.max(0, wDiaph - 180 - w);
            double du = (Math.abs(u) - cu) / r, dv = (v - (s.vSpine + 2)) / (r * 0.9);
            return du * du + dv * dv < 1;
        }

        boolean gluteal(double u, double v, double w, Slice s) {
            if (w > 190) return false;
            double f = Math.min(1, (190 - w) / 60);
            double du = (Math.abs(u) - 85) / (60 * f + 1), dv = (v - (s.bPost - 45)) / (45 * f + 1);
            return du * du + dv * dv < 1;
        }

        // ---------------------------------------------------------------- bones

        /** Bone at normalised radius r (0 centre, 1 surface) of a bone whose smaller radius is {@code mm}: 1.8 mm of cortex. */
        static float boneHU(double r, double mm) {
            return (1 - r) * mm < 1.8 ? 800 : 210;
        }

        /** Chest wall muscle beyond the basic layer: pectorals in front, the shoulder-blade muscles behind (upper chest). */
        double extraWall(double u, double v, double w, Slice s) {
            boolean thoraxLevel = w > wDiaph - 60;
            double extra = thoraxLevel && v < 0 ? 8 * Math.max(0, 1 - Math.abs(Math.abs(u) - 60) / 50) : 0;
            double top = discs[firstThoracicDisc + 12];
            if (w > wDiaph + 130 && v < -20) extra += 12; // pectoral muscles
            if (w > top - 175 && w < top + 10 && v > 10) {
                double fade = Math.min(1, Math.min((w - (top - 175)) / 30, (top + 10 - w) / 30));
                extra += 22 * fade * Math.min(1, (v - 10) / 30) * Math.max(0, 1 - Math.abs(Math.abs(u) - 85) / 60);
            }
            return extra;
        }

        /** The shoulder blade: a thin plate inside the posterior wall muscles of the upper chest. */
        float scapula(double u, double v, double w, Slice s, double depth, double fatT) {
            double top = discs[firstThoracicDisc + 12];
            if (w < top - 160 || w > top - 5 || v < 15) return Float.NaN;
            double au = Math.abs(u);
            double width = 45 + 35 * Math.min(1, (w - (top - 160)) / 90); // narrow tip below, wide above
            if (au < 100 - width || au > 125) return Float.NaN;
            double mid = fatT + s.muscle * 0.5 + 0.5 * extraWall(u, v, w, s);
            double d = Math.abs(depth - mid);
            return d < 3 ? (d < 1.5 ? 300 : 750) : Float.NaN;
        }

        float bone(double u, double v, double w, Slice s, double depth, double fatT) {
            float spine = spine(u, v, w, s);
            if (!Float.isNaN(spine)) return spine;
            float sc = scapula(u, v, w, s, depth, fatT);
            if (!Float.isNaN(sc)) return sc;
            float rib = ribs(u, v, w, s, depth, fatT);
            if (!Float.isNaN(rib)) return rib;
            if (w < 220) {
                float p = pelvis(u, v, w, s);
                if (!Float.isNaN(p)) return p;
            }
            return Float.NaN;
        }

        float spine(double u, double v, double w, Slice s) {
            if (w < discs[0] - 5) return Float.NaN; // sacrum handled by pelvis
            double vs = s.vSpine;
            double bodyRu = w < discs[firstThoracicDisc] ? 25 : 19, bodyRv = w < discs[firstThoracicDisc] ? 19 : 16;
            double du = u / bodyRu, dv = (v - vs) / bodyRv;
            double r = Math.sqrt(du * du + dv * dv);
            if (r < 1) {
                if (s.disc) return (1 - r) * bodyRv < 1.5 ? 300 : 85;
                return s.endplate > 0.5 ? 600 : boneHU(r, bodyRv);
            }
            if (s.disc) return Float.NaN;
            // spinal canal and the neural arch around it
            double cv = vs + bodyRv + 10;
            double rc = Math.hypot(u, v - cv);
            if (rc < 8.5) return 15; // cerebrospinal fluid
            if (rc < 13.5 && v > vs + bodyRv - 2) return rc > 11.5 || rc < 10 ? 700 : 300;
            // spinous process, sloping
            if (Math.abs(u) < 4 && v > cv + 10 && v < cv + 36 && s.endplate < 0.2) return Math.abs(u) > 2.2 ? 700 : 260;
            // transverse processes
            if (Math.abs(v - (cv + 2)) < 4 && Math.abs(u) > 10 && Math.abs(u) < (s.thoracicLevel > 0 ? 32 : 40) && s.transverse) {
                return Math.abs(v - cv - 2) > 2.2 ? 700 : 260;
            }
            return Float.NaN;
        }

        float ribs(double u, double v, double w, Slice s, double depth, double fatT) {
            // sternum (anterior midline) and costal cartilage / ribs along the wall
            double lowest = discs[firstThoracicDisc] - 20, top = discs[firstThoracicDisc + 12];
            if (w < lowest - 70 || w > top + 30) return Float.NaN;
            double ribDepth = fatT + s.muscle + extraWall(u, v, w, s) + 5.5;
            if (v < 0 && Math.abs(u) < 17 && w > wDiaph + 5 && w < top - 15) {
                double dd = depth - ribDepth;
                if (dd > -4 && dd < 7) return (dd < -2.5 || dd > 5.5 || Math.abs(u) > 15) ? 700 : 230;
            }
            // clavicles
            if (w > top - 45 && w < top - 25 && v < 10) {
                double cu = Math.abs(u);
                if (cu > 20 && cu < 130) {
                    double cv = -s.bAnt + fatT + 8 + 0.28 * (cu - 20);
                    double r = Math.hypot((v - cv) / 7, (w - (top - 35)) / 7);
                    if (r < 1) return boneHU(r, 7);
                }
            }
            double dd = depth - ribDepth;
            if (Math.abs(dd) > 4.5) return Float.NaN;
            double theta = Math.abs(Math.atan2(u, v)); // 0 posterior, pi anterior
            if (theta < 0.28) return Float.NaN;
            double slope = Math.pow(theta / Math.PI, 1.3);
            for (int t = 1; t <= 12; t++) {
                double wc = (discs[firstThoracicDisc + 12 - t] + discs[firstThoracicDisc + 13 - t]) / 2 + 8 - (40 + 5 * t) * slope;
                double dz = w - wc;
                if (Math.abs(dz) > 6) continue;
                double reach = t <= 7 ? 2.75 : t <= 10 ? 2.3 - 0.1 * (t - 8) : 1.5 - 0.2 * (t - 11);
                if (theta > reach) continue;
                double r = Math.hypot(dd / 4.5, dz / 6);
                if (r >= 1) continue;
                if (t <= 10 && theta > reach - 0.45) return 130; // costal cartilage
                return boneHU(r, 4.5);
            }
            return Float.NaN;
        }

        float pelvis(double u, double v, double w, Slice s) {
            double au = Math.abs(u);
            // sacrum, tilted backwards as it goes down
            if (w < discs[0] - 3 && w > 85) {
                double f = (w - 85) / (discs[0] - 85);
                double cv = s.vSpine + 15 + 25 * (1 - f);
                double du = u / (18 + 30 * f), dv = (v - cv) / 15;
                double r = Math.sqrt(du * du + dv * dv);
                if (r < 1) return boneHU(r, 15);
            }
            // iliac wings: curved plates opening forwards
            if (w > 75 && w < 210 && au > 35) {
                double cx = 45, cy = s.vSpine + 5;
                double rad = 55 + 0.15 * (w - 75);
                double d = Math.hypot(au - cx, v - cy) - rad;
                double ang = Math.atan2(v - cy, au - cx); // -pi..pi
                double halfT = w < 110 ? 9 : 5;
                if (Math.abs(d) < halfT && ang > -1.4 && ang < 1.5) return Math.abs(d) > halfT - 2 ? 700 : 240;
            }
            // femoral heads, necks and shafts
            double fu = 92 * scaleA;
            if (w < 75) {
                double r = Math.sqrt((au - fu) * (au - fu) + v * v + (w - 50) * (w - 50)) / 24;
                if (r < 1) return boneHU(r, 24);
                // acetabulum rim
                if (r < 1.3 && w > 45 && au < fu) return 600;
            }
            if (w < 45) {
                double r = Math.hypot(au - fu - 20, v - 5) / 16;
                if (r < 1) return r > 0.6 ? 750 : -40;
            }
            // pubic bones
            if (w > 30 && w < 65 && v < -30) {
                double r = Math.hypot((au - 45) / 38, (v + 55) / 11);
                if (r < 1) return boneHU(r, 11);
            }
            return Float.NaN;
        }

        // ---------------------------------------------------------------- chest

        float heart(double u, double v, double w) {
            double du = (u - heartC[0]) / heartR[0], dv = (v - heartC[1]) / heartR[1], dw = (w - heartC[2]) / heartR[2];
            double r = Math.sqrt(du * du + dv * dv + dw * dw);
            if (r > 1.06) return Float.NaN;
            if (r > 1) return -70; // pericardial fat
            if (r > 0.8) return 95; // myocardium
            // septum between the chambers
            double sep = (u - heartC[0]) * 0.8 - (v - heartC[1]) * 0.6;
            if (Math.abs(sep) < 5) return 95;
            return sep > 0 ? 210 : 170; // left (more contrast) and right chambers
        }

        boolean lung(double u, double v, double w, Slice s) {
            // not the vertebral body, nor the mediastinum (an ellipse between sternum and spine)
            if (Math.abs(u) < 28 && v > s.vSpine - 24) return false;
            double front = -s.bAnt + 25, back = s.vSpine - 15;
            double mu = (u - 3) / 30, mv = (v - 0.5 * (front + back)) / (0.5 * (back - front) + 8);
            if (mu * mu + mv * mv < 1) return false;
            // apices: the lungs narrow to rounded tops
            double apex = discs[firstThoracicDisc + 12] + 25;
            if (w > apex) return false;
            if (w > apex - 130) {
                double rr = 105 * Math.sqrt((apex - w) / 130);
                return Math.hypot(Math.abs(u) - 50, 1.3 * (v - 10)) < rr;
            }
            return true;
        }

        float lungValue(double u, double v, double w, Slice s, int idx) {
            float base = (float) (-870 + 45 * Math.max(0, (v + 40) / 120) + 12 * deform(u, v, w, 5));
            for (double[] nd : nodules) {
                double r = Math.sqrt((u - nd[0]) * (u - nd[0]) + (v - nd[1]) * (v - nd[1]) + (w - nd[2]) * (w - nd[2]));
                if (r < nd[3]) return 35;
            }
            float c = lungVessel[idx];
            return Float.isNaN(c) ? base : base + c * (150 - base);
        }

        // ---------------------------------------------------------------- abdomen

        boolean inEllipsoid(double u, double v, double w, double[] c, double[] r, double deformAmount, int which) {
            double du = (u - c[0]) / r[0], dv = (v - c[1]) / r[1], dw = (w - c[2]) / r[2];
            double q = du * du + dv * dv + dw * dw;
            if (q > 1.6) return false;
            return q < 1 + deformAmount * deform(u, v, w, which);
        }

        float organ(double u, double v, double w, Slice s, double base, int idx) {
            boolean under = w < base - 2;
            for (int side = 0; side < 2; side++) {
                double[] c = side == 0 ? kidneyLC : kidneyRC;
                double[] cc = {c[0], s.vSpine + 8 + (c[1]), c[2]};
                double du = (u - cc[0]) / kidneyR[0], dv = (v - cc[1]) / kidneyR[1], dw = (w - cc[2]) / kidneyR[2];
                double q = Math.sqrt(du * du + dv * dv + dw * dw);
                if (q < 1.25 && q >= 1) return -85; // perirenal fat
                if (q < 1) {
                    double medial = (side == 0 ? -1 : 1) * (u - cc[0]) / kidneyR[0];
                    if (medial > 0.35 && Math.abs(dw) < 0.5) return medial > 0.7 ? 10 : -60; // pelvis and sinus fat
                    return q > 0.72 ? 185 : 135; // cortex, medulla
                }
            }
            if (under && (inEllipsoid(u, v, w, liverC, liverR, 0.15, 0) || inEllipsoid(u, v, w, liverLC, liverLR, 0.2, 1))) {
                if (inEllipsoid(u, v, w, gallC, gallR, 0.05, 2)) return 8;
                float c = liverVessel[idx];
                float liver = (float) (108 + 6 * deform(u, v, w, 5));
                return Float.isNaN(c) ? liver : liver + c * (175 - liver);
            }
            if (inEllipsoid(u, v, w, gallC, gallR, 0.05, 2)) return 8;
            if (under && inEllipsoid(u, v, w, spleenC, spleenR, 0.2, 3)) return 118;
            if (under && inEllipsoid(u, v, w, stomachC, stomachR, 0.12, 4)) {
                double du = (u - stomachC[0]) / stomachR[0], dv = (v - stomachC[1]) / stomachR[1], dw = (w - stomachC[2]) / stomachR[2];
                double q = Math.sqrt(du * du + dv * dv + dw * dw);
                if (q > 0.88) return 65; // enhancing wall
                return dv < stomachLevel ? AIR : 18; // gas rises anteriorly (patient supine)
            }
            if (w < 150) {
                double du = (u - bladderC[0]) / bladderR[0], dv = (v - bladderC[1]) / bladderR[1], dw = (w - bladderC[2]) / bladderR[2];
                double q = du * du + dv * dv + dw * dw;
                if (q < 1) return q > 0.85 ? 45 : 10;
            }
            return Float.NaN;
        }

        // ---------------------------------------------------------------- overlays (tubes)

        void paintOverlays(Grid g) {
            grid = g;
            int n = g.n * g.n * g.n;
            deep = new float[n];
            bowel = new float[n];
            lungVessel = new float[n];
            liverVessel = new float[n];
            Arrays.fill(deep, Float.NaN);
            Arrays.fill(bowel, Float.NaN);
            Arrays.fill(lungVessel, Float.NaN);
            Arrays.fill(liverVessel, Float.NaN);
            double vs = vSpine(300);
            double top = discs[firstThoracicDisc + 12];
            // aorta: abdominal, descending thoracic, arch, ascending (just left of and in front of the spine)
            double aV = vs - 30, aVt = vSpine(560) - 26;
            double archW = top - 55;
            duct(deep, tube(-18, aV, 190, 0, aV + 2, 205, 6, 7), 190, 40, 1.5, 0);
            duct(deep, tube(18, aV, 190, 0, aV + 2, 205, 6, 7), 190, 40, 1.5, 0);
            duct(deep, tube(-35, aV + 10, 100, -18, aV, 190, 5, 6), 190, 40, 1.5, 0);
            duct(deep, tube(35, aV + 10, 100, 18, aV, 190, 5, 6), 190, 40, 1.5, 0);
            duct(deep, tube(2, aV + 2, 200, 10, aV, wDiaph - 40, 9, 11), 200, 40, 1.5, 0);
            duct(deep, tube(10, aV, wDiaph - 40, 22, aVt, archW, 11, 12), 200, 40, 1.5, 0);
            duct(deep, tube(22, aVt, archW, 8, aVt - 30, archW + 25, 12, 13), 200, 40, 1.5, 0);
            duct(deep, tube(8, aVt - 30, archW + 25, 0, -30, archW + 5, 13, 14), 200, 40, 1.5, 0);
            duct(deep, tube(0, -30, archW + 5, 8, heartC[1] + 20, heartC[2] + 30, 14, 14), 200, 40, 1.5, 0);
            // inferior vena cava (to the right atrium), superior vena cava
            duct(deep, tube(-22, aV + 2, 190, -25, aV - 5, wDiaph - 20, 10, 12), 150, 40, 1, 0);
            duct(deep, tube(-25, aV - 5, wDiaph - 20, heartC[0] - 30, heartC[1] + 10, heartC[2] - 20, 12, 12), 150, 40, 1, 0);
            duct(deep, tube(-28, -25, archW + 30, -22, heartC[1] + 12, heartC[2] + 25, 10, 10), 160, 40, 1, 0);
            // pulmonary trunk and arteries to the hila
            double hilumW = wDiaph + 95;
            duct(deep, tube(heartC[0] + 5, heartC[1] - 5, heartC[2] + 35, 12, -10, hilumW + 15, 13, 12), 170, 40, 1, 0);
            duct(deep, tube(12, -10, hilumW + 15, 48, 0, hilumW, 10, 8), 170, 40, 1, 0);
            duct(deep, tube(12, -10, hilumW + 15, -48, 0, hilumW, 10, 8), 170, 40, 1, 0);
            // trachea and main bronchi (air in a soft-tissue wall), esophagus
            double carinaW = hilumW + 30;
            duct(deep, tube(0, aVt - 25, top + 60, 0, aVt - 20, carinaW, 9, 9), AIR, 40, 2, 0);
            duct(deep, tube(0, aVt - 20, carinaW, -40, aVt - 12, hilumW - 5, 7, 6), AIR, 40, 2, 0);
            duct(deep, tube(0, aVt - 20, carinaW, 42, aVt - 10, hilumW - 12, 6, 5), AIR, 40, 2, 0);
            duct(deep, tube(6, aVt - 3, top + 60, 12, aV - 3, wDiaph - 30, 6, 6), 40, 40, 0, 0.1);
            // pancreas (head near the duodenum, tail to the spleen) and portal vein
            duct(deep, tube(-28, aV - 25, wDiaph - 100, 25, aV - 22, wDiaph - 92, 15, 11), 95, 95, 0, 0);
            duct(deep, tube(25, aV - 22, wDiaph - 92, spleenC[0] - 20, spleenC[1] - 10, spleenC[2] - 15, 11, 8), 95, 95, 0, 0);
            duct(deep, tube(-10, aV - 30, wDiaph - 105, liverC[0] + 35, liverC[1] - 5, liverC[2] + 5, 8, 7), 165, 165, 0, 0);
            // liver vessel tree (coverage), from the porta hepatis
            double[] porta = {liverC[0] + 35, liverC[1] - 5, liverC[2] + 5};
            for (int t = 0; t < 3; t++) {
                double[] dir = normalize(new double[] {-1 + 0.6 * rnd.nextGaussian(), 0.5 * rnd.nextGaussian(), 0.7 * rnd.nextGaussian()});
                branch(liverVessel, porta, dir, 6, 0, 5, porta);
            }
            // lung vessel trees from each hilum
            for (int side = -1; side <= 1; side += 2) {
                double[] hilum = {side * 50, 0, hilumW};
                double[][] dirs = {{side * 0.5, 0.1, 1}, {side * 0.3, -0.5, 1}, {side * 0.6, 0.5, -1}, {side * 0.5, -0.4, -1},
                        {side * 1, -0.6, -0.2}, {side * 0.8, 0.8, 0.1}, {side * 1, 0.1, 0.4}};
                for (double[] d0 : dirs) {
                    double[] dir = normalize(new double[] {d0[0] + 0.2 * rnd.nextGaussian(), d0[1] + 0.2 * rnd.nextGaussian(), d0[2] + 0.2 * rnd.nextGaussian()});
                    branch(lungVessel, hilum, dir, 5, 0, 10, hilum);
                }
            }
            // nodules: 2 to 5, placed inside the lungs
            int count = 2 + rnd.nextInt(4);
            for (int tries = 0; nodules.size() < count && tries < 2000; tries++) {
                double u = (2 * rnd.nextDouble() - 1) * 140, v = -90 + 170 * rnd.nextDouble();
                double w = wDiaph - 30 + (top - wDiaph + 40) * rnd.nextDouble();
                Slice s = slice(w);
                double rho = bodyRho(u, v, s);
                if (rho > 0.8 || w < lungBase(u, v) + 10 || !lung(u, v, w, s)) continue;
                if (Math.abs(u) < 45) continue;
                nodules.add(new double[] {u, v, w, 3 + 6 * rnd.nextDouble()});
            }
            // colon: ascending, transverse, descending, sigmoid, rectum (gas and stool)
            double[][] colon = {
                    {-78, 5, 150}, {-82, 0, wDiaph - 140}, {-72, -20, wDiaph - 112}, {-40, -62, wDiaph - 125},
                    {10, -66, wDiaph - 140}, {55, -48, wDiaph - 110}, {75, 0, wDiaph - 97}, {80, 20, wDiaph - 150},
                    {78, 15, 190}, {62, -20, 140}, {25, -30, 120}, {0, vs + 10, 100}, {0, vs + 20, 40}};
            for (int i = 0; i + 1 < colon.length; i++) {
                double[] p = colon[i], q = colon[i + 1];
                double r = 13 + 5 * rnd.nextDouble();
                float content = rnd.nextDouble() < 0.5 ? STOOL : 20;
                duct(bowel, new Tube(jit(p, 5), jit(q, 5), r, r), content, 45, 2.5, 0.1 + 0.4 * rnd.nextDouble());
            }
            // small bowel loops: random walks in the lower abdomen
            int loops = 10 + rnd.nextInt(6);
            for (int l = 0; l < loops; l++) {
                double[] p = {-65 + 130 * rnd.nextDouble(), -75 + 85 * rnd.nextDouble(), 110 + (wDiaph - 230) * rnd.nextDouble()};
                double[] dir = normalize(new double[] {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()});
                double r = 9 + 5 * rnd.nextDouble();
                double kind = rnd.nextDouble();
                float content = kind < 0.6 ? 18 : 45;            // fluid or enhancing collapsed loop
                double gas = kind < 0.3 ? 0.15 + 0.35 * rnd.nextDouble() : (kind > 0.9 ? 1 : 0);
                for (int seg = 0; seg < 10; seg++) {
                    dir = normalize(new double[] {dir[0] + 0.7 * rnd.nextGaussian(), dir[1] + 0.7 * rnd.nextGaussian(), dir[2] + 0.7 * rnd.nextGaussian()});
                    double[] q = {p[0] + 20 * dir[0], p[1] + 20 * dir[1], p[2] + 20 * dir[2]};
                    if (Math.abs(q[0]) > 75) { dir[0] = -dir[0]; q[0] = p[0] + 20 * dir[0]; }
                    if (q[1] < -85 || q[1] > 20) { dir[1] = -dir[1]; q[1] = p[1] + 20 * dir[1]; }
                    if (q[2] < 100 || q[2] > wDiaph - 110) { dir[2] = -dir[2]; q[2] = p[2] + 20 * dir[2]; }
                    duct(bowel, new Tube(p, q, r, r), content, 60, 2.5, gas);
                    p = q;
                }
            }
        }

        private double[] jit(double[] p, double mm) {
            return new double[] {p[0] + mm * rnd.nextGaussian(), p[1] + mm * rnd.nextGaussian(), p[2] + mm * rnd.nextGaussian()};
        }

        private static Tube tube(double u0, double v0, double w0, double u1, double v1, double w1, double r0, double r1) {
            return new Tube(new double[] {u0, v0, w0}, new double[] {u1, v1, w1}, r0, r1);
        }

        static double[] normalize(double[] d) {
            double n = Math.sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
            return new double[] {d[0] / n, d[1] / n, d[2] / n};
        }

        /** A vessel tree: one segment, then two children bending away from each other and from the root. */
        void branch(float[] coverage, double[] p, double[] dir, double r, int depth, int maxDepth, double[] root) {
            double len = 7 + 3 * r + 5 * rnd.nextDouble();
            double[] q = {p[0] + len * dir[0], p[1] + len * dir[1], p[2] + len * dir[2]};
            double rEnd = r * 0.92;
            coverage(coverage, new Tube(p, q, r, rEnd));
            if (depth >= maxDepth || rEnd < 0.7) return;
            double[] out = normalize(new double[] {q[0] - root[0], q[1] - root[1], q[2] - root[2]});
            double[] perp = normalize(new double[] {rnd.nextGaussian(), rnd.nextGaussian(), rnd.nextGaussian()});
            for (int c = 0; c < 2; c++) {
                double sgn = c == 0 ? 1 : -1;
                double[] nd = normalize(new double[] {
                        dir[0] + 0.4 * out[0] + sgn * 0.6 * perp[0],
                        dir[1] + 0.4 * out[1] + sgn * 0.6 * perp[1],
                        dir[2] + 0.4 * out[2] + sgn * 0.6 * perp[2]});
                branch(coverage, q, nd, rEnd * (c == 0 ? 0.85 : 0.72), depth + 1, maxDepth, root);
            }
        }

        /** Voxels a tube touches, as the bounding box of its two end spheres in the grid. */
        private int[] box(Tube t, double margin) {
            Grid g = grid;
            double r = Math.max(t.r0(), t.r1()) + margin;
            int i0 = Math.max(0, g.i(Math.min(t.p0()[0], t.p1()[0]) - r)), i1 = Math.min(g.n - 1, g.i(Math.max(t.p0()[0], t.p1()[0]) + r) + 1);
            int j0 = Math.max(0, g.j(Math.min(t.p0()[1], t.p1()[1]) - r)), j1 = Math.min(g.n - 1, g.j(Math.max(t.p0()[1], t.p1()[1]) + r) + 1);
            int k0 = Math.max(0, g.k(Math.min(t.p0()[2], t.p1()[2]) - r)), k1 = Math.min(g.n - 1, g.k(Math.max(t.p0()[2], t.p1()[2]) + r) + 1);
            return new int[] {i0, i1, j0, j1, k0, k1};
        }

        /** Distance of (u, v, w) to the tube's axis, the axis point's v, and the radius there. */
        private static double[] axisDistance(Tube t, double u, double v, double w) {
            double[] a = t.p0(), b = t.p1();
            double dx = b[0] - a[0], dy = b[1] - a[1], dz = b[2] - a[2];
            double l2 = dx * dx + dy * dy + dz * dz;
            double s = l2 == 0 ? 0 : ((u - a[0]) * dx + (v - a[1]) * dy + (w - a[2]) * dz) / l2;
            s = Math.max(0, Math.min(1, s));
            double cx = a[0] + s * dx, cy = a[1] + s * dy, cz = a[2] + s * dz;
            double d = Math.sqrt((u - cx) * (u - cx) + (v - cy) * (v - cy) + (w - cz) * (w - cz));
            return new double[] {d, v - cy, t.r0() + s * (t.r1() - t.r0())};
        }

        /**
         * Paints a duct: lumen, with gas filling the anterior {@code gasFraction} of its diameter
         * (the patient lies supine, anterior is up), and a wall {@code wallMm} thick around it.
         */
        void duct(float[] overlay, Tube t, float lumen, float wall, double wallMm, double gasFraction) {
            Grid g = grid;
            int[] b = box(t, wallMm + 1);
            for (int k = b[4]; k <= b[5]; k++) {
                for (int j = b[2]; j <= b[3]; j++) {
                    for (int i = b[0]; i <= b[1]; i++) {
                        double[] d = axisDistance(t, g.u(i), g.v(j), g.w(k));
                        int idx = i + g.n * (j + g.n * k);
                        if (d[0] < d[2]) {
                            overlay[idx] = d[1] + d[2] < 2 * gasFraction * d[2] ? AIR : lumen;
                        } else if (d[0] < d[2] + wallMm && Float.isNaN(overlay[idx])) {
                            overlay[idx] = wall;
                        }
                    }
                }
            }
        }

        /** Adds a thin tube as partial-volume coverage (0..1, max over tubes) for vessels below the voxel size. */
        void coverage(float[] cov, Tube t) {
            Grid g = grid;
            double vox = Math.cbrt(g.sxy * g.sxy * g.sz);
            int[] b = box(t, vox);
            for (int k = b[4]; k <= b[5]; k++) {
                for (int j = b[2]; j <= b[3]; j++) {
                    for (int i = b[0]; i <= b[1]; i++) {
                        double[] d = axisDistance(t, g.u(i), g.v(j), g.w(k));
                        double r = d[2];
                        double c = Math.min(1, (r + 0.5 * vox - d[0]) / vox) * Math.sqrt(Math.min(1, 2 * r / vox));
                        if (c <= 0) continue;
                        int idx = i + g.n * (j + g.n * k);
                        float old = cov[idx];
                        if (Float.isNaN(old) || c > old) cov[idx] = (float) c;
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- scanner effects

    /** [1 2 1]/4 blur along x and y (the scanner's point spread, partial volume at edges). */
    static float[] blurInPlane(float[] v, int n) {
        float[] tmp = new float[v.length];
        float[] out = new float[v.length];
        IntStream.range(0, n).parallel().forEach(k -> {
            for (int j = 0; j < n; j++) {
                int row = n * (j + n * k);
                for (int i = 0; i < n; i++) {
                    float l = v[row + Math.max(0, i - 1)], c = v[row + i], r = v[row + Math.min(n - 1, i + 1)];
                    tmp[row + i] = 0.25f * l + 0.5f * c + 0.25f * r;
                }
            }
            for (int j = 0; j < n; j++) {
                int row = n * (j + n * k), up = n * (Math.max(0, j - 1) + n * k), dn = n * (Math.min(n - 1, j + 1) + n * k);
                for (int i = 0; i < n; i++) out[row + i] = 0.25f * tmp[up + i] + 0.5f * tmp[row + i] + 0.25f * tmp[dn + i];
            }
        });
        return out;
    }

    /**
     * Adds Gaussian noise correlated in-plane (white noise blurred by [1 2 1]/4 along x and y, so
     * neighbouring voxels share grain like reconstructed CT), standard deviation {@code sigma} HU.
     * Each slice has its own random stream from (seed, z): the result does not depend on threads.
     */
    static void addNoise(float[] v, int n, long seed, double sigma) {
        // the blur [1 2 1]/4 x [1 2 1]/4 scales white noise's sigma by 6/16 = 0.375
        double white = sigma / 0.375;
        IntStream.range(0, n).parallel().forEach(k -> {
            SplittableRandom r = new SplittableRandom(seed * 31 + k * 0x632BE59BD9B4E019L);
            float[] raw = new float[(n + 2) * (n + 2)];
            for (int t = 0; t < raw.length; t++) raw[t] = (float) (gaussian(r) * white);
            int m = n + 2;
            float[] row = new float[m * n];
            for (int j = 0; j < m; j++) {
                for (int i = 0; i < n; i++) row[i + n * j] = 0.25f * raw[i + m * j] + 0.5f * raw[i + 1 + m * j] + 0.25f * raw[i + 2 + m * j];
            }
            int base = n * n * k;
            for (int j = 0; j < n; j++) {
                for (int i = 0; i < n; i++) {
                    v[base + i + n * j] += 0.25f * row[i + n * j] + 0.5f * row[i + n * (j + 1)] + 0.25f * row[i + n * (j + 2)];
                }
            }
        });
    }

    private static double gaussian(SplittableRandom r) {
        // Marsaglia polar method (one of the pair; simple and deterministic)
        double a, b, s;
        do {
            a = 2 * r.nextDouble() - 1;
            b = 2 * r.nextDouble() - 1;
            s = a * a + b * b;
        } while (s >= 1 || s == 0);
        return a * Math.sqrt(-2 * Math.log(s) / s);
    }
}
