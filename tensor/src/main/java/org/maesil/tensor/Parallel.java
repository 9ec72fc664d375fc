package org.maesil.tensor;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of worker threads that stay alive between calls and split an index range
 * [0, n) into contiguous chunks.
 *
 * <p>Every kernel computes each output element from its index alone, so the result does not
 * depend on how the range is split: 1 thread and 8 threads give the same bits.
 */
public final class Parallel implements AutoCloseable {

    /** The body of a parallel loop over indices [start, end). */
    @FunctionalInterface
    public interface Range {
        void run(int start, int end);
    }

    private final int threads;
    private final Thread[] workers;
    private final Object lock = new Object();
    private volatile Job job;
    private volatile long generation;

    /**
     * How long a worker (and the caller, for the last chunks) spins before parking: a model step
     * makes hundreds of short parallel calls, and waking a parked thread costs tens of
     * microseconds each time. Bounded, so idle workers still sleep.
     */
    private static final long SPIN_NANOS = 20_000;
    private volatile boolean closed;

    private static final class Job {
        final Range body;
        final int n;
        final int chunk;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger remaining;
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final Thread caller;

        Job(Range body, int n, int chunk, int chunks, Thread caller) {
            this.body = body;
            this.n = n;
            this.chunk = chunk;
            this.remaining = new AtomicInteger(chunks);
            this.caller = caller;
        }

        /** Claims and runs chunks until none is left. */
        void work() {
            int c;
            while ((c = next.getAndIncrement()) * (long) chunk < n) {
                int start = c * chunk;
                int end = Math.min(n, start + chunk);
                try {
                    if (failure.get() == null) body.run(start, end);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
                if (remaining.decrementAndGet() == 0) LockSupport.unpark(caller);
            }
        }
    }

    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            Thread t = new Thread(this::workerLoop, "maesil-worker-" + (i + 1));
            t.setDaemon(true);
            workers[i] = t;
            t.start();
        }
    }

    public int threads() { return threads; }

    /** Runs body over [0, n) split into chunks of about n / (4 * threads) indices. */
    public void forRange(int n, Range body) {
        forRange(n, Math.max(1, (n + 4 * threads - 1) / (4 * threads)), body);
    }

    /** Runs body over [0, n) in chunks of the given size; the calling thread works too. */
    public void forRange(int n, int chunk, Range body) {
        if (n <= 0) return;
        if (threads == 1 || n <= chunk) {
            body.run(0, n);
            return;
        }
        int chunks = (int) ((n + (long) chunk - 1) / chunk);
        Job j = new Job(body, n, chunk, chunks, Thread.currentThread());
        synchronized (lock) {
            job = j;
            generation++;
            lock.notifyAll();
        }
        j.work();
        if (j.remaining.get() > 0) {
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (j.remaining.get() > 0 && System.nanoTime() < deadline) Thread.onSpinWait();
        }
        while (j.remaining.get() > 0) LockSupport.park(this);
        synchronized (lock) {
            if (job == j) job = null;
        }
        Throwable t = j.failure.get();
        if (t instanceof RuntimeException re) throw re;
        if (t instanceof Error e) throw e;
        if (t != null) throw new RuntimeException(t);
    }

    private void workerLoop() {
        long seen = 0;
        while (!closed) {
            Job j;
            long deadline = System.nanoTime() + SPIN_NANOS;
            while (generation == seen && !closed && System.nanoTime() < deadline) Thread.onSpinWait();
            synchronized (lock) {
                while (!closed && (generation == seen || job == null)) {
                    try {
                        lock.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) return;
                seen = generation;
                j = job;
            }
            j.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (lock) {
            lock.notifyAll();
        }
    }
}
