package io.r1stream.cli;

import io.r1stream.jobs.ChatJob;
import io.r1stream.jobs.ChatJobOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code r1stream chat-job}: the streaming chat job in a local Flink with the web UI. The same main class
 * ({@code io.r1stream.jobs.ChatJob}) takes the same flags under {@code flink run}.
 */
@Command(name = "chat-job", mixinStandardHelpOptions = true,
        description = {"Run the streaming chat job (Kafka prompts -> conversation operator -> Kafka results) in a local Flink with the web UI.",
                "Job flags (see README): --bootstrap-servers HOST:PORT --model DIR --checkpoint-dir DIR [--parallelism N] "
                        + "[--prompts-topic T --results-topic T --dlq-topic T --metrics-topic T] [--checkpoint-interval 10s] "
                        + "[--delivery exactly-once|at-least-once] [--kv-state-tier off|on-evict|every-turn] [--idle-ttl 1h] "
                        + "[--resume true|false|PATH] ... Restarted with the same --checkpoint-dir it continues from the newest "
                        + "retained checkpoint (--resume defaults to true here; false starts fresh)."})
public final class ChatJobCommand implements Callable<Integer> {
    @Option(names = "--web-ui-port", defaultValue = "8081", description = "Flink web UI / REST port (default: ${DEFAULT-VALUE})")
    int webUiPort;

    @Unmatched List<String> jobArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> args = new ArrayList<>(jobArgs);
        // A restarted chat-job continues where it stopped: resume from the newest retained checkpoint by default.
        boolean hasCheckpointDir = args.stream().anyMatch(a -> a.equals("--checkpoint-dir") || a.startsWith("--checkpoint-dir="));
        boolean hasResume = args.stream().anyMatch(a -> a.equals("--resume") || a.startsWith("--resume="));
        if (hasCheckpointDir && !hasResume) args.addAll(List.of("--resume", "true"));
        ChatJobOptions o = ChatJobOptions.fromArgs(args.toArray(String[]::new));
        Configuration conf = ChatJob.configuration(o);
        conf.set(RestOptions.PORT, webUiPort);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironmentWithWebUI(conf);
        ChatJob.build(env, o);
        System.out.println("chat-job: Flink web UI on http://localhost:" + webUiPort + " ; reading " + o.promptsTopic()
                + " from " + o.bootstrapServers() + ", writing " + o.resultsTopic() + " (" + o.delivery() + ")");
        ChatJob.resumePath(o).ifPresent(p -> System.out.println("chat-job: resuming from " + p));
        env.execute("r1stream-chat");
        return 0;
    }
}
