package io.r1stream.cli;

import io.r1stream.engine.model.Linear;
import io.r1stream.engine.model.MatmulThreads;
import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightFormatSpec;
import io.r1stream.engine.model.WeightQuantizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * The matmul kernels alone, per weight format, matrix shape and batch: what one call costs with the weights read
 * from memory (enough copies of each matrix to exceed the caches, applied in turn) or from cache
 * ({@code --resident-mib 0}). The figures behind the kernel notes in the README; no model needed.
 */
@Command(name = "kernels", mixinStandardHelpOptions = true,
        description = "Matmul kernels per format, shape and batch: ms per call, GFLOP/s and weight bytes/s, weights from memory or cache.")
final class BenchKernels implements Callable<Integer> {
    @Option(names = "--formats", split = ",", defaultValue = "bf16,int8,q4", description = "weight formats (default: ${DEFAULT-VALUE})") List<String> formats;
    @Option(names = "--shapes", split = ",", defaultValue = "9728x896,896x4864,151936x896",
            description = "OUTxIN matrices (default: ${DEFAULT-VALUE}: Qwen2-0.5B's fused gate/up, down and lm_head)") List<String> shapes;
    @Option(names = "--batch", split = ",", defaultValue = "1,4,16,128", description = "activation rows per call (default: ${DEFAULT-VALUE})") List<Integer> batches;
    @Option(names = "--threads", defaultValue = "1", description = "matmul threads (default: ${DEFAULT-VALUE})") int threads;
    @Option(names = "--resident-mib", defaultValue = "256",
            description = "copies of each matrix until their weights exceed this many MiB, so calls read them from memory; 0: one copy, from cache (default: ${DEFAULT-VALUE})") int residentMib;
    @Option(names = "--rounds", defaultValue = "5", description = "timed rounds of ~0.2 s after 0.5 s of warm-up; the median is printed (default: ${DEFAULT-VALUE})") int rounds;

    @Override
    public Integer call() {
        if (threads < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + threads);
        if (rounds < 1) throw new IllegalArgumentException("--rounds must be >= 1, got " + rounds);
        if (residentMib < 0) throw new IllegalArgumentException("--resident-mib must be >= 0, got " + residentMib);
        for (int b : batches) if (b < 1) throw new IllegalArgumentException("--batch values must be >= 1, got " + b);
        List<WeightFormat> fs = new ArrayList<>();
        for (String f : formats) fs.add(WeightFormat.parse(f));
        List<int[]> dims = new ArrayList<>();
        for (String s : shapes) dims.add(parseShape(s));
        System.out.println(MachineInfo.describe());
        System.out.printf("%d thread(s); weights %s; medians of %d rounds%n", threads,
                residentMib == 0 ? "from cache (one copy)" : "from memory (copies beyond " + residentMib + " MiB)", rounds);
        System.out.println("format | shape | batch | copies | ms/call | GFLOP/s | G weights/s | GB/s of weights");
        try (MatmulThreads mt = new MatmulThreads(threads)) {
            for (int[] d : dims) {
                int out = d[0], in = d[1];
                float[] w = weights(out, in);
                for (WeightFormat f : fs) {
                    System.err.printf("bench kernels: %s %dx%d: building ...%n", f.name().toLowerCase(), out, in);
                    Linear first = WeightQuantizer.linear(w, out, in, f, WeightFormatSpec.of(f), mt);
                    int copies = residentMib == 0 ? 1 : (int) Math.max(1, Math.min(64, ((long) residentMib << 20) / first.weightBytes() + 1));
                    Linear[] ls = new Linear[copies];
                    ls[0] = first;
                    for (int c = 1; c < copies; c++) ls[c] = WeightQuantizer.linear(w, out, in, f, WeightFormatSpec.of(f), mt);
                    for (int batch : batches) {
                        double ms = msPerCall(ls, out, in, batch);
                        double flops = 2.0 * out * in * batch;
                        System.out.printf("%s | %dx%d | %d | %d | %.4g | %.4g | %.4g | %.4g%n", f.name().toLowerCase(), out, in, batch, copies, ms,
                                flops / ms / 1e6, (double) out * in / ms / 1e6, first.weightBytes() / ms / 1e6);
                    }
                }
            }
        }
        return 0;
    }

    /**
     * Median ms per call over the rounds, each ~0.2 s of calls cycling through the copies, after 0.5 s of warm-up
     * calls (the JIT compiles the kernels; the first calls run interpreted).
     */
    private double msPerCall(Linear[] ls, int out, int in, int batch) {
        float[] x = new float[batch * in], y = new float[batch * out];
        for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 0.37) * 2f;
        long start = System.nanoTime(), warm = 0;
        int k = 0;
        while (System.nanoTime() - start < 500_000_000L || k < 2 * ls.length) {
            long s = System.nanoTime();
            ls[k++ % ls.length].apply(x, batch, y);
            warm = System.nanoTime() - s; // the last call: compiled by now
        }
        int calls = (int) Math.max(ls.length, Math.min(1_000_000, 0.2e9 / Math.max(1, warm)));
        double[] ms = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long s = System.nanoTime();
            for (int c = 0; c < calls; c++) ls[c % ls.length].apply(x, batch, y);
            ms[r] = (System.nanoTime() - s) / 1e6 / calls;
        }
        Arrays.sort(ms);
        return ms[rounds / 2];
    }

    /** Deterministic weights of a plausible scale (a hash, not a generator: 136 M of them in a second). */
    private static float[] weights(int out, int in) {
        float[] w = new float[out * in];
        for (int i = 0; i < w.length; i++) {
            int h = i * 0x9E3779B1;
            h ^= h >>> 15;
            h *= 0x85EBCA77;
            h ^= h >>> 13;
            w[i] = (h >> 8) * (0.05f / (1 << 23)); // uniform in [-0.05, 0.05)
        }
        return w;
    }

    static int[] parseShape(String s) {
        String[] p = s.trim().toLowerCase().split("x");
        try {
            if (p.length == 2) {
                int out = Integer.parseInt(p[0]), in = Integer.parseInt(p[1]);
                if (out > 0 && in > 0 && (long) out * in <= Integer.MAX_VALUE / 2) return new int[] {out, in};
            }
        } catch (NumberFormatException ignored) {
            // the message below says what is expected
        }
        throw new IllegalArgumentException("--shapes entry '" + s + "' must be OUTxIN with positive sizes, e.g. 9728x896");
    }
}
