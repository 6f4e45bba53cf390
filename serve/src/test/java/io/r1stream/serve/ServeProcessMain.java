package io.r1stream.serve;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A {@code serve} process for tests that need real processes (kill one mid-run): serves the model directory
 * on a free loopback port as model "tiny" and writes the port to a file once ready.
 *
 * <p>{@code java -cp <test classpath> io.r1stream.serve.ServeProcessMain MODEL_DIR PORT_FILE}
 */
public final class ServeProcessMain {
    private ServeProcessMain() {}

    public static void main(String[] args) throws Exception {
        TestServers.Running r = TestServers.start(TestServers.loopback("tiny"), TestServers.engineOptions(Path.of(args[0]), 8, 0));
        Path tmp = Path.of(args[1] + ".tmp");
        Files.writeString(tmp, Integer.toString(r.server().port()));
        Files.move(tmp, Path.of(args[1]), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        r.server().join();
    }
}
