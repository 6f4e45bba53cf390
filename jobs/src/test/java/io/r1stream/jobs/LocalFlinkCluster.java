package io.r1stream.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * A standalone Flink session cluster on this machine, as separate processes: one JobManager
 * ({@code StandaloneSessionClusterEntrypoint}) and N TaskManagers ({@code TaskManagerRunner}), started the way
 * flink-dist's scripts start them (JVM and memory flags from {@code BashJavaUtils}) from a distribution-like class
 * path out of ~/.m2 (jobs/target/flink-dist.classpath, written by `mvn package`) plus DJL as Flink's lib/ would hold
 * it (jobs/target/flink-lib). Configuration: flink-conf/config.yaml with local overrides. Jobs are submitted through
 * the REST API (/jars/upload, /jars/:id/run), as `flink run` and the web UI do.
 */
final class LocalFlinkCluster implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    private final Path repo;
    private final Path work;
    private final int restPort;
    private final String classpath;
    private final List<Process> taskManagers = new ArrayList<>();
    private Process jobManager;
    private final HttpClient http = HttpClient.newHttpClient();

    LocalFlinkCluster(Path repo, Path work, int restPort) throws IOException {
        this.repo = repo;
        this.work = work;
        this.restPort = restPort;
        Path target = repo.resolve("jobs/target");
        for (String f : List.of("flink-dist.classpath", "flink-dist-extra.classpath", "r1stream-job.jar", "flink-lib")) {
            if (!Files.exists(target.resolve(f))) {
                throw new IllegalStateException(target.resolve(f) + " is missing: run `mvn -B -o -pl jobs -am package -DskipTests` first");
            }
        }
        this.classpath = Files.readString(target.resolve("flink-dist.classpath")).strip() + ":"
                + Files.readString(target.resolve("flink-dist-extra.classpath")).strip() + ":" + target.resolve("flink-lib") + "/*";
        Files.createDirectories(work.resolve("conf"));
        Files.createDirectories(work.resolve("log"));
        writeConfig();
    }

    String restUrl() { return "http://localhost:" + restPort; }

    Path checkpointDir() { return work.resolve("checkpoints"); }

    /** flink-conf/config.yaml with the settings one machine needs: localhost, small memory, one port range. */
    private void writeConfig() throws IOException {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("jobmanager.rpc.address", "localhost");
        overrides.put("jobmanager.bind-host", "localhost");
        overrides.put("taskmanager.bind-host", "localhost");
        overrides.put("taskmanager.host", "localhost");
        overrides.put("rest.address", "localhost");
        overrides.put("rest.bind-address", "localhost");
        overrides.put("rest.port", String.valueOf(restPort));
        overrides.put("jobmanager.memory.process.size", "1024m");
        overrides.put("taskmanager.memory.process.size", "1600m");
        overrides.put("taskmanager.memory.task.heap.size", "512m");
        overrides.put("taskmanager.memory.managed.fraction", "0.1");
        overrides.put("execution.checkpointing.dir", checkpointDir().toUri().toString());
        overrides.put("execution.checkpointing.savepoint-dir", work.resolve("savepoints").toUri().toString());
        // every process takes the first free port of the range: JobManager 9249, TaskManagers 9250, 9251, ...
        overrides.put("metrics.reporter.prom.port", "9249-9259");
        overrides.put("heartbeat.timeout", "10000");
        // spread the job's slots over both TaskManagers, so killing either one hits running subtasks: one slot per
        // TaskManager makes it certain (the load-balance mode only tries, and lost the race when a TaskManager's
        // slots registered late: both subtasks on one process, no r1stream metrics on the other's port)
        overrides.put("taskmanager.numberOfTaskSlots", "1");
        overrides.put("taskmanager.load-balance.mode", "SLOTS");
        overrides.put("io.tmp.dirs", work.resolve("tmp").toString());
        overrides.put("web.tmpdir", work.resolve("web").toString());
        overrides.put("web.upload.dir", work.resolve("web-upload").toString());
        StringBuilder out = new StringBuilder("# flink-conf/config.yaml + local overrides (LocalFlinkCluster)\n");
        for (String line : Files.readAllLines(repo.resolve("flink-conf/config.yaml"))) {
            int colon = line.indexOf(": ");
            if (!line.startsWith("#") && colon > 0 && overrides.containsKey(line.substring(0, colon))) continue;
            if (line.startsWith("r1stream.")) continue;   // r1stream's own keys are for the job, not the cluster
            out.append(line).append('\n');
        }
        overrides.forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
        Files.writeString(work.resolve("conf/config.yaml"), out);
        Files.writeString(work.resolve("conf/log4j.properties"), String.join("\n",
                "rootLogger.level = INFO", "rootLogger.appenderRef.file.ref = File",
                "appender.file.type = File", "appender.file.name = File", "appender.file.fileName = ${sys:log.file}",
                "appender.file.layout.type = PatternLayout", "appender.file.layout.pattern = %d{HH:mm:ss,SSS} %-5p %c{1} - %m%n",
                "logger.metricgroup.name = org.apache.flink.metrics.MetricGroup", "logger.metricgroup.level = ERROR",
                "logger.kafka.name = org.apache.kafka", "logger.kafka.level = WARN", ""));
    }

    void start(int numTaskManagers) throws Exception {
        jobManager = launch("jobmanager", "GET_JM_RESOURCE_PARAMS", "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint");
        for (int i = 0; i < numTaskManagers; i++) taskManagers.add(launchTaskManager(i));
        awaitTaskManagers(numTaskManagers, Duration.ofSeconds(90));
    }

    private Process launchTaskManager(int i) throws Exception {
        return launch("taskmanager-" + i, "GET_TM_RESOURCE_PARAMS", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner");
    }

    /** kill -9 of TaskManager {@code i} (SIGKILL: no shutdown hooks, no goodbye to the JobManager). */
    void killTaskManager(int i) throws InterruptedException {
        Process p = taskManagers.get(i);
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    void restartTaskManager(int i) throws Exception {
        taskManagers.set(i, launchTaskManager(i));
    }

    long taskManagerPid(int i) { return taskManagers.get(i).pid(); }

    long jobManagerPid() { return jobManager.pid(); }

    /** Starts one process as flink-dist's scripts do: JVM memory flags and dynamic properties from BashJavaUtils. */
    private Process launch(String name, String resourceCommand, String mainClass) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process utils = new ProcessBuilder(java, "-cp", classpath, "org.apache.flink.runtime.util.bash.BashJavaUtils",
                resourceCommand, "--configDir", work.resolve("conf").toString())
                .redirectErrorStream(true).start();
        String out = new String(utils.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        utils.waitFor();
        List<String> results = out.lines().filter(l -> l.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:"))
                .map(l -> l.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length())).toList();
        if (results.size() < 2) throw new IllegalStateException("BashJavaUtils " + resourceCommand + " failed:\n" + out);
        List<String> cmd = new ArrayList<>(List.of(java));
        cmd.addAll(List.of(results.get(0).trim().split("\\s+")));
        cmd.addAll(javaOpts(name.startsWith("jobmanager") ? "jobmanager" : "taskmanager"));
        cmd.addAll(List.of(
                "-DDJL_CACHE_DIR=" + System.getProperty("DJL_CACHE_DIR", Path.of(System.getProperty("user.home"), ".djl.ai").toString()),
                "-Dlog.file=" + work.resolve("log/" + name + ".log"),
                "-Dlog4j.configurationFile=" + work.resolve("conf/log4j.properties").toUri(),
                "-Djava.io.tmpdir=" + work.resolve("tmp"),
                "-cp", classpath, mainClass, "--configDir", work.resolve("conf").toString()));
        for (String d : results.get(1).trim().split("\\s+")) if (!d.isEmpty()) cmd.add(d);
        Files.createDirectories(work.resolve("tmp"));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(work.resolve("log/" + name + ".out").toFile()).start();
    }

    /** env.java.default-opts.all, env.java.opts.all and the per-process ones of the config, as flink-dist's config.sh adds them. */
    private List<String> javaOpts(String process) throws IOException {
        List<String> keys = List.of("env.java.default-opts.all", "env.java.default-opts." + process, "env.java.opts.all", "env.java.opts." + process);
        List<String> opts = new ArrayList<>();
        for (String line : Files.readAllLines(work.resolve("conf/config.yaml"))) {
            int colon = line.indexOf(": ");
            if (colon > 0 && keys.contains(line.substring(0, colon))) {
                for (String o : line.substring(colon + 2).trim().split("\\s+")) if (!o.isEmpty()) opts.add(o);
            }
        }
        return opts;
    }

    void awaitTaskManagers(int n, Duration timeout) throws Exception {
        await("REST /overview with " + n + " TaskManagers", timeout, () -> {
            JsonNode o = get("/overview");
            return o != null && o.path("taskmanagers").asInt() == n;
        });
    }

    /** Uploads the job jar and runs it; returns the job id. */
    String submit(Path jar, String entryClass, List<String> args, int parallelism) throws Exception {
        String boundary = "r1stream" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\"" + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        body.write(Files.readAllBytes(jar));
        body.write(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode uploaded = JSON.readTree(up.body());
        if (!"success".equals(uploaded.path("status").asText())) throw new IllegalStateException("upload failed: " + up.body());
        String jarId = Path.of(uploaded.path("filename").asText()).getFileName().toString();
        Map<String, Object> run = Map.of("entryClass", entryClass, "programArgsList", args, "parallelism", parallelism);
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/jars/" + jarId + "/run"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(run))).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode started = JSON.readTree(r.body());
        if (!started.has("jobid")) throw new IllegalStateException("run failed (" + r.statusCode() + "): " + r.body());
        return started.path("jobid").asText();
    }

    String jobState(String jobId) throws Exception {
        JsonNode j = get("/jobs/" + jobId);
        return j == null ? "UNKNOWN" : j.path("state").asText();
    }

    /** All subtasks RUNNING (not just the job). */
    boolean allTasksRunning(String jobId) throws Exception {
        JsonNode j = get("/jobs/" + jobId);
        if (j == null || !"RUNNING".equals(j.path("state").asText())) return false;
        for (JsonNode v : j.path("vertices")) if (!"RUNNING".equals(v.path("status").asText())) return false;
        return true;
    }

    long completedCheckpoints(String jobId) throws Exception {
        JsonNode c = get("/jobs/" + jobId + "/checkpoints");
        return c == null ? 0 : c.at("/counts/completed").asLong();
    }

    /** Failures the job recovered from (root exceptions in its exception history). */
    long restarts(String jobId) throws Exception {
        JsonNode e = get("/jobs/" + jobId + "/exceptions");
        return e == null ? 0 : e.at("/exceptionHistory/entries").size();
    }

    void cancel(String jobId) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(restUrl() + "/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    JsonNode get(String path) throws Exception {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(restUrl() + path)).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
        } catch (IOException notUpYet) {
            return null;
        }
    }

    /** Port -> lines of that port's scrape with r1stream's own metrics (flink_..._r1stream_...), for every reporter port that answers. */
    Map<Integer, List<String>> scrapeR1streamMetrics() {
        Map<Integer, List<String>> out = new LinkedHashMap<>();
        for (int port = 9249; port <= 9259; port++) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                out.put(port, r.body().lines().filter(l -> !l.startsWith("#") && l.split("[{ ]", 2)[0].contains("_r1stream_")).toList());
            } catch (Exception closed) {
                // no reporter on this port
            }
        }
        return out;
    }

    /** Distinct r1stream metric names in a scrape's lines. */
    static TreeSet<String> names(List<String> lines) {
        TreeSet<String> n = new TreeSet<>();
        for (String l : lines) n.add(l.split("[{ ]", 2)[0]);
        return n;
    }

    interface Check { boolean ok() throws Exception; }

    static void await(String what, Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(250);
        }
    }

    Path work() { return work; }

    @Override
    public void close() {
        for (Process p : taskManagers) p.destroyForcibly();
        if (jobManager != null) jobManager.destroyForcibly();
        for (Process p : taskManagers) waitQuietly(p);
        if (jobManager != null) waitQuietly(jobManager);
    }

    private static void waitQuietly(Process p) {
        try {
            p.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
