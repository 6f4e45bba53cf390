package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The chat job on a real standalone Flink cluster on this machine (see {@link LocalFlinkCluster}): a KRaft broker
 * in this JVM, a generated tiny model, a JobManager and two TaskManager processes, the shaded job jar submitted
 * through the REST API. Run by deploy/local-cluster.sh:
 * <ul>
 *   <li>{@code run}: starts it all, prints the web UI and the Prometheus ports with the job's r1stream metrics, and
 *       keeps running until Enter (or Ctrl-C);</li>
 *   <li>{@code check}: answers a batch of prompts, then sends a second batch and kill -9s one TaskManager while it
 *       works, starts it again, and checks that read_committed output holds every answer exactly once.</li>
 * </ul>
 */
public final class LocalClusterRun {
    static final int CONVERSATIONS = 8;

    /** What the failover check saw. */
    record Outcome(int prompts, int answers, List<String> missing, List<String> duplicated, long restarts,
                   long killedPid, long restartedPid, Map<Integer, Integer> metricLinesByPort, int resubmittedAnswers,
                   double seconds) {
        boolean ok() {
            return missing.isEmpty() && duplicated.isEmpty() && answers == prompts && restarts >= 1 && resubmittedAnswers == 2
                    && metricLinesByPort.values().stream().filter(n -> n > 0).count() >= 2;
        }

        @Override
        public String toString() {
            return String.format("failover check: %d prompts, %d answers in read_committed output, missing %s, duplicated %s; "
                            + "TaskManager pid %d killed with SIGKILL during batch 2 and started again (pid %d); failures recovered from %d; "
                            + "r1stream metric lines per Prometheus port %s; a second job submitted to the same TaskManagers answered %d of 2 "
                            + "(DJL natives bound once per JVM, parent-first); %.1f s -> %s",
                    prompts, answers, missing, duplicated, killedPid, restartedPid, restarts, metricLinesByPort, resubmittedAnswers, seconds,
                    ok() ? "OK" : "FAILED");
        }
    }

    private LocalClusterRun() {}

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "run";
        Path repo = Path.of(System.getProperty("r1stream.repoRoot", ".")).toAbsolutePath().normalize();
        Path work = Files.createDirectories(repo.resolve("jobs/target/local-cluster"));
        switch (mode) {
            case "check" -> {
                Outcome o = failoverCheck(repo, work);
                System.out.println(o);
                System.exit(o.ok() ? 0 : 1);
            }
            case "run" -> run(repo, work);
            default -> throw new IllegalArgumentException("mode must be run or check, got " + mode);
        }
    }

    static void run(Path repo, Path work) throws Exception {
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, work.resolve("kafka"));
             LocalFlinkCluster cluster = new LocalFlinkCluster(repo, work.resolve("cluster"), 8081)) {
            Path model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), work.resolve("model"));
            kafka.createTopics(Map.of("prompts", 2, "results", 1, "prompts.dlq", 1, "metrics", 1));
            cluster.start(2);
            System.out.println("Flink web UI: " + cluster.restUrl() + "   logs: " + work.resolve("cluster/log"));
            String job = cluster.submit(repo.resolve("jobs/target/r1stream-job.jar"), "io.r1stream.jobs.ChatJob",
                    jobArgs(kafka, model, cluster), 2);
            LocalFlinkCluster.await("job running", Duration.ofSeconds(90), () -> cluster.allTasksRunning(job));
            List<String[]> prompts = new ArrayList<>();
            for (int c = 0; c < 4; c++) prompts.add(new String[] {"c" + c, KafkaTestClient.prompt("r" + c, "c" + c, "hello " + c)});
            KafkaTestClient.produce(kafka, "prompts", prompts);
            KafkaTestClient.awaitRecords(kafka, "results", ChatResult.class, l -> l.size() >= 4, Duration.ofSeconds(90));
            System.out.println("job " + job + " RUNNING on 2 TaskManagers; 4 prompts answered; Kafka at " + kafka.bootstrapServers());
            cluster.scrapeR1streamMetrics().forEach((port, lines) -> System.out.println("http://localhost:" + port + "/metrics: "
                    + lines.size() + " r1stream lines" + (lines.isEmpty() ? "" : ", e.g. " + lines.get(0))));
            System.out.println("Press Enter to stop.");
            System.in.read();
        }
    }

    static List<String> jobArgs(LocalKafkaBroker kafka, Path model, LocalFlinkCluster cluster) {
        return List.of("--bootstrap-servers", kafka.bootstrapServers(), "--model", model.toString(),
                "--checkpoint-dir", cluster.checkpointDir().toUri().toString(), "--checkpoint-interval", "2s",
                "--restart-delay", "1s", "--restart-attempts", "100", "--metrics-window", "2s", "--parallelism", "2");
    }

    static Outcome failoverCheck(Path repo, Path work) throws Exception {
        long t0 = System.nanoTime();
        try (LocalKafkaBroker kafka = LocalKafkaBroker.start(0, work.resolve("kafka-check"));
             LocalFlinkCluster cluster = new LocalFlinkCluster(repo, work.resolve("cluster-check"), freePort())) {
            Path model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), work.resolve("model-check"));
            kafka.createTopics(Map.of("prompts", 2, "results", 1, "prompts.dlq", 1, "metrics", 1));
            cluster.start(2);
            String job = cluster.submit(repo.resolve("jobs/target/r1stream-job.jar"), "io.r1stream.jobs.ChatJob",
                    jobArgs(kafka, model, cluster), 2);
            LocalFlinkCluster.await("job running", Duration.ofSeconds(90), () -> cluster.allTasksRunning(job));

            // batch 1: first turn of every conversation; wait for the answers and a checkpoint after them
            KafkaTestClient.produce(kafka, "prompts", batch(1));
            KafkaTestClient.awaitRecords(kafka, "results", ChatResult.class, l -> l.size() >= CONVERSATIONS, Duration.ofSeconds(120));
            long done = cluster.completedCheckpoints(job);
            LocalFlinkCluster.await("a checkpoint after batch 1", Duration.ofSeconds(30), () -> cluster.completedCheckpoints(job) > done);
            // both TaskManagers' reporters show r1stream's metrics (retried for a while: a task restarted by a
            // heartbeat timeout on a loaded machine re-registers its metrics when it runs again)
            Map<Integer, Integer> metricLines = new TreeMap<>();
            long scrapeDeadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
            do {
                metricLines.clear();
                cluster.scrapeR1streamMetrics().forEach((port, lines) -> metricLines.put(port, lines.size()));
                if (metricLines.values().stream().filter(n -> n > 0).count() >= 2) break;
                Thread.sleep(1000);
            } while (System.nanoTime() < scrapeDeadline);

            // batch 2: second turns; kill -9 a TaskManager while they are being answered, then start it again
            KafkaTestClient.produce(kafka, "prompts", batch(2));
            Thread.sleep(300);
            long killed = cluster.taskManagerPid(0);
            cluster.killTaskManager(0);
            cluster.restartTaskManager(0);
            long restarted = cluster.taskManagerPid(0);
            cluster.awaitTaskManagers(2, Duration.ofSeconds(90));
            List<ChatResult> all = KafkaTestClient.awaitRecords(kafka, "results", ChatResult.class,
                    l -> l.stream().map(ChatResult::requestId).distinct().count() >= 2L * CONVERSATIONS, Duration.ofSeconds(150));
            // one more checkpoint: anything a replay would write twice would be committed by now
            long after = cluster.completedCheckpoints(job);
            LocalFlinkCluster.await("a checkpoint after batch 2", Duration.ofSeconds(30), () -> cluster.completedCheckpoints(job) > after);
            all = KafkaTestClient.read(kafka, "results", ChatResult.class);

            Map<String, Long> counts = all.stream().collect(Collectors.groupingBy(ChatResult::requestId, TreeMap::new, Collectors.counting()));
            List<String> missing = new ArrayList<>();
            for (int turn = 1; turn <= 2; turn++) {
                for (int c = 0; c < CONVERSATIONS; c++) if (!counts.containsKey(requestId(c, turn))) missing.add(requestId(c, turn));
            }
            List<String> duplicated = counts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
            long restarts = cluster.restarts(job);
            cluster.cancel(job);
            LocalFlinkCluster.await("job cancelled", Duration.ofSeconds(60), () -> cluster.jobState(job).equals("CANCELED"));

            // a second job on the same TaskManager JVMs gets a new user class loader: DJL and its native libraries
            // come from the parent (lib/, parent-first), so loading the tokenizer again does not fail
            kafka.createTopics(Map.of("prompts2", 1, "results2", 1));
            List<String> args2 = new ArrayList<>(jobArgs(kafka, model, cluster));
            args2.addAll(List.of("--prompts-topic", "prompts2", "--results-topic", "results2", "--group-id", "second",
                    "--transactional-id-prefix", "second", "--parallelism", "1"));
            String job2 = cluster.submit(repo.resolve("jobs/target/r1stream-job.jar"), "io.r1stream.jobs.ChatJob", args2, 1);
            KafkaTestClient.produce(kafka, "prompts2", List.of(new String[] {"x", KafkaTestClient.prompt("x-1", "x", "again")},
                    new String[] {"y", KafkaTestClient.prompt("y-1", "y", "again")}));
            int second = KafkaTestClient.awaitRecords(kafka, "results2", ChatResult.class, l -> l.size() >= 2, Duration.ofSeconds(90)).size();
            cluster.cancel(job2);
            return new Outcome(2 * CONVERSATIONS, all.size(), missing, duplicated, restarts, killed, restarted, metricLines,
                    second, (System.nanoTime() - t0) / 1e9);
        }
    }

    static String requestId(int conversation, int turn) { return "c" + conversation + "-t" + turn; }

    static List<String[]> batch(int turn) {
        List<String[]> out = new ArrayList<>();
        for (int c = 0; c < CONVERSATIONS; c++) {
            out.add(new String[] {"c" + c, KafkaTestClient.prompt(requestId(c, turn), "c" + c, "turn " + turn + " of " + c)});
        }
        return out;
    }

    static int freePort() throws java.io.IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
