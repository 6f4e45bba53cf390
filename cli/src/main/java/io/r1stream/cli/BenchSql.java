package io.r1stream.cli;

import io.r1stream.engine.EngineMetrics;
import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.sql.predict.ModelOptions;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.types.Row;
import org.apache.flink.util.CloseableIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * ML_PREDICT over a table of prompts at several {@code max-concurrent-operations}: rows/s, generated tokens/s and
 * the most sequences the engine ran in one step, the engine loaded once and held across runs.
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = "ML_PREDICT ('provider' = 'r1stream') rows/s and tokens/s per max-concurrent-operations (rows in flight per subtask).")
final class BenchSql implements Callable<Integer> {
    @Option(names = "--model", required = true, paramLabel = "DIR") Path model;
    @Option(names = "--rows", defaultValue = "32", description = "prompt rows per run (default: ${DEFAULT-VALUE})") int rows;
    @Option(names = "--max-tokens", defaultValue = "16", description = "tokens per row at most (default: ${DEFAULT-VALUE})") int maxTokens;
    @Option(names = "--concurrency", defaultValue = "1,10,64", split = ",",
            description = "max-concurrent-operations values (default: ${DEFAULT-VALUE})") List<Integer> concurrency;
    @Option(names = "--threads", defaultValue = "1", description = "engine matmul threads (default: ${DEFAULT-VALUE})") int threads;

    @Override
    public Integer call() throws Exception {
        if (rows < 1 || maxTokens < 1) throw new IllegalArgumentException("--rows and --max-tokens must be >= 1");
        System.out.println(MachineInfo.describe());
        String dir = model.toAbsolutePath().normalize().toString();
        EngineOptions engine = ModelOptions.engineOptions(Configuration.fromMap(Map.of("model-dir", dir, "threads", String.valueOf(threads))));
        try (Engines.EngineHandle held = Engines.acquire(engine)) { // loaded once; every run's job shares it
            run(dir, 8, Math.min(rows, 8), held.engine().metrics()); // warm-up: JIT, planner, codegen
            System.out.printf("%d rows, %d tokens max each, model %s, 1 subtask, %d thread(s)%n", rows, maxTokens, model.getFileName(), threads);
            System.out.println("max-concurrent-operations | seconds | rows/s | tokens/s | engine batch peak");
            for (int c : concurrency) {
                double[] f = run(dir, c, rows, held.engine().metrics());
                System.out.printf("%25d | %7.1f | %6.2f | %8.1f | %17d%n", c, f[0], rows / f[0], f[1] / f[0], (long) f[2]);
            }
        }
        return 0;
    }

    /** @return {seconds, generated tokens, batch peak} of one ML_PREDICT job */
    private double[] run(String dir, int concurrent, int n, EngineMetrics metrics) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(1, new Configuration());
        StreamTableEnvironment t = StreamTableEnvironment.create(env);
        t.executeSql("CREATE TEMPORARY MODEL r1 INPUT (prompt STRING) OUTPUT (completion_tokens INT) WITH ('provider' = 'r1stream', "
                + "'model-dir' = '" + dir.replace("'", "''") + "', 'threads' = '" + threads + "', 'max-tokens' = '" + maxTokens
                + "', 'temperature' = '0')");
        StringBuilder values = new StringBuilder();
        for (int i = 0; i < n; i++) {
            values.append(i == 0 ? "" : ", ").append("('Question ").append(i).append(": how do streams, state and checkpoints fit together?')");
        }
        t.executeSql("CREATE TEMPORARY VIEW q AS SELECT * FROM (VALUES " + values + ") AS v(prompt)");
        metrics.batchPeak.set(0);
        long t0 = System.nanoTime();
        long tokens = 0;
        try (CloseableIterator<Row> it = t.executeSql("SELECT completion_tokens FROM ML_PREDICT(TABLE q, MODEL r1, DESCRIPTOR(prompt), "
                + "MAP['max-concurrent-operations', '" + concurrent + "', 'output-mode', 'allow_unordered'])").collect()) {
            while (it.hasNext()) tokens += (Integer) it.next().getField(0);
        }
        return new double[] {(System.nanoTime() - t0) / 1e9, tokens, metrics.batchPeak.get()};
    }
}
