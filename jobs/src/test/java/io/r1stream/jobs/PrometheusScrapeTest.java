package io.r1stream.jobs;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import io.r1stream.connectors.records.ChatResult;
import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.r1stream.jobs.KafkaTestClient.awaitRecords;
import static io.r1stream.jobs.KafkaTestClient.prompt;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Grafana dashboard and the Prometheus alert rules under deploy/monitoring use only metric names that a real
 * job really exports: the chat job runs on a MiniCluster with Flink's Prometheus reporter on a free port (the
 * reporter of flink-conf/config.yaml), answers prompts from a real KRaft broker, sends a bad record to the DLQ,
 * completes checkpoints, and /metrics is scraped over HTTP.
 */
class PrometheusScrapeTest {
    static final Pattern METRIC = Pattern.compile("\\b(flink_[A-Za-z0-9_]+)");

    @TempDir static Path tmp;
    static LocalKafkaBroker kafka;
    static Path model;

    @BeforeAll
    static void start() throws Exception {
        kafka = LocalKafkaBroker.start(0, tmp.resolve("kafka"));
        model = ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), tmp.resolve("model"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (kafka != null) kafka.close();
    }

    @Test
    void everyMetricOfTheDashboardAndTheAlertsIsInARealScrape() throws Exception {
        Path repo = Path.of(System.getProperty("r1stream.repoRoot", ".."));
        Set<String> used = new TreeSet<>();
        for (String f : List.of("deploy/monitoring/grafana-dashboard.json", "deploy/monitoring/prometheus-rules.yaml")) {
            Matcher m = METRIC.matcher(Files.readString(repo.resolve(f)));
            while (m.find()) used.add(m.group(1));
        }
        assertThat(used).as("metric names used by the dashboard and the alerts").hasSizeGreaterThan(10);

        ChatJobOptions o = ChatJobEndToEndTest.options(kafka, model, tmp, "scrape", 2);
        int port = freePort();
        Configuration conf = ChatJob.configuration(o);
        conf.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        conf.setString("metrics.reporter.prom.port", String.valueOf(port));
        List<String[]> records = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            records.add(new String[] {"s" + c, prompt("s" + c + "-1", "s" + c, "hello " + c)});
            records.add(new String[] {"s" + c, prompt("s" + c + "-2", "s" + c, "and more")});
        }
        records.add(new String[] {"bad", "not json"});
        KafkaTestClient.produce(kafka, "scrape.prompts", records);

        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(o.parallelism(), conf);
        ChatJob.build(env, o);
        JobClient job = env.executeAsync("r1stream-chat-scrape");
        Set<String> scraped;
        try {
            awaitRecords(kafka, "scrape.results", ChatResult.class, l -> l.size() >= 8, Duration.ofSeconds(60));
            awaitRecords(kafka, "scrape.dlq", DeadLetter.class, l -> l.size() >= 1, Duration.ofSeconds(20));
            // names appear once registered; wait until all the used ones are there (or time out and report)
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            do {
                scraped = scrape(port);
                if (scraped.containsAll(used)) break;
                Thread.sleep(500);
            } while (System.nanoTime() < deadline);
            Files.write(Path.of(System.getProperty("java.io.tmpdir"), "prometheus-scrape-names.txt"), scraped);
        } finally {
            ChatJobEndToEndTest.cancel(job);
        }
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(scraped);
        assertThat(missing).as("used by deploy/monitoring but not in the scrape (all names: target/prometheus-scrape-names.txt)").isEmpty();
    }

    /** The metric names (without labels) of one Prometheus text-format scrape. */
    static Set<String> scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        for (String line : r.body().split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            int end = 0;
            while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') end++;
            names.add(line.substring(0, end));
        }
        return names;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
