package io.r1stream.cli;

import io.r1stream.connectors.kafka.LocalKafkaBroker;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code r1stream kafka}: a standalone single-node KRaft broker for trying the job locally. */
@Command(name = "kafka", mixinStandardHelpOptions = true,
        description = "Run a local single-node KRaft Kafka broker (in this JVM) until Ctrl-C; creates r1stream's topics.")
public final class KafkaCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "9092", description = "client port (default: ${DEFAULT-VALUE})") int port;
    @Option(names = "--data-dir", defaultValue = ".r1stream/kafka", description = "log directory; must be empty or absent (default: ${DEFAULT-VALUE})") Path dataDir;
    @Option(names = "--partitions", defaultValue = "4", description = "partitions of the prompts and results topics (default: ${DEFAULT-VALUE})") int partitions;
    @Option(names = "--topics", split = ",", defaultValue = "prompts,results,prompts.dlq,metrics",
            description = "topics to create (default: ${DEFAULT-VALUE})") List<String> topics;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port " + port + " is not a TCP port (0-65535)");
        try (LocalKafkaBroker broker = LocalKafkaBroker.start(port, dataDir)) {
            Map<String, Integer> t = new LinkedHashMap<>();
            for (String name : topics) t.put(name, name.equals("metrics") || name.endsWith(".dlq") ? 1 : partitions);
            broker.createTopics(t);
            System.out.println("kafka: KRaft broker on " + broker.bootstrapServers() + ", data in " + dataDir + ", topics " + t);
            System.out.println("kafka: Ctrl-C to stop");
            CountDownLatch stop = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
            stop.await();
        }
        return 0;
    }
}
