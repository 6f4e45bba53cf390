package io.r1stream.cli;

import io.r1stream.sql.script.SqlScriptRunner;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;
import org.apache.flink.util.TimeUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code r1stream sql -f FILE.sql}: a Flink SQL statement file on a local Flink (MiniCluster with the web UI), with
 * r1stream's model provider and conversation view available (see README, "Flink SQL").
 */
@Command(name = "sql", mixinStandardHelpOptions = true,
        description = {"Run a Flink SQL statement file on a local Flink with the web UI: CREATE MODEL ... WITH ('provider' = 'r1stream'), "
                + "ML_PREDICT, the Kafka SQL connector, and r1stream's CREATE CONVERSATION VIEW. All INSERTs of the file run as one job; "
                + "the command returns when it ends (bounded sources) or on Ctrl-C."})
public final class SqlCommand implements Callable<Integer> {
    @Option(names = {"-f", "--file"}, required = true, description = "the statement file")
    Path file;

    @Option(names = "-D", paramLabel = "KEY=VALUE", description = "value of ${KEY} in the file (repeatable); ${KEY:-default} has a default")
    Map<String, String> variables = new LinkedHashMap<>();

    @Option(names = "--parallelism", defaultValue = "1", description = "default parallelism (default: ${DEFAULT-VALUE})")
    int parallelism;

    @Option(names = "--checkpoint-interval", defaultValue = "10s",
            description = "checkpoint interval: Kafka source offsets, conversation state, exactly-once sinks (default: ${DEFAULT-VALUE})")
    String checkpointInterval;

    @Option(names = "--checkpoint-dir", description = "checkpoint directory (default: none, checkpoints in memory)")
    String checkpointDir;

    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI / REST port, 0 = any free port (default: ${DEFAULT-VALUE})")
    int webUiPort;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("statement file " + file + " does not exist; pass -f with a .sql file, e.g. sql/examples/kafka-chat.sql");
        }
        if (parallelism < 1) throw new IllegalArgumentException("--parallelism must be >= 1, got " + parallelism);
        Configuration conf = new Configuration();
        conf.set(RestOptions.PORT, webUiPort);
        conf.set(CoreOptions.DEFAULT_PARALLELISM, parallelism);
        conf.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, TimeUtils.parseDuration(checkpointInterval));
        if (checkpointDir != null) {
            conf.set(CheckpointingOptions.CHECKPOINT_STORAGE, "filesystem");
            conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, Path.of(checkpointDir).toUri().toString());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        StreamTableEnvironment tEnv = StreamTableEnvironment.create(env);
        Optional<TableResult> job = new SqlScriptRunner(tEnv, System.out).run(Files.readString(file), variables);
        if (job.isPresent()) {
            job.get().getJobClient().ifPresent(c -> System.out.println("r1stream sql: job " + c.getJobID() + " running; Flink web UI on http://localhost:"
                    + (webUiPort == 0 ? "<port in the log>" : webUiPort)));
            job.get().await();
            System.out.println("r1stream sql: job finished");
        }
        return 0;
    }
}
