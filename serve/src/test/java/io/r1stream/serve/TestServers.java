package io.r1stream.serve;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.model.Architecture;
import io.r1stream.engine.model.gen.ModelGenerator;

import java.nio.file.Files;
import java.nio.file.Path;

/** Real servers on loopback over a generated tiny model, for this module's and the remote backend's tests. */
public final class TestServers {
    private TestServers() {}

    /** A tiny generated Qwen2 model (real safetensors + tokenizer.json) under {@code dir}. */
    public static Path tinyModel(Path dir) {
        Path model = dir.resolve("model");
        if (Files.isDirectory(model)) return model;
        return ModelGenerator.create(ModelGenerator.Spec.tiny(Architecture.QWEN2), model);
    }

    /** Engine options for the tiny model; {@code variant} makes a separate engine (two replicas in one JVM). */
    public static EngineOptions engineOptions(Path model, int maxRunning, int variant) {
        return EngineOptions.defaults(model).withLimits(maxRunning, 256).withKvBudget((64L + variant) * EngineOptions.MIB, 32 * EngineOptions.MIB);
    }

    /** A started, ready server over a shared engine; closing it closes both. */
    public static Running start(ServeOptions serve, EngineOptions engine) {
        Engines.EngineHandle h = Engines.acquire(engine);
        OpenAiServer s = OpenAiServer.start(serve);
        s.ready(h.model(), h.engine(), engine.maxRunning());
        return new Running(s, h);
    }

    public static ServeOptions loopback(String name) {
        return ServeOptions.defaults(name).withPort(0);
    }

    /** A server and its engine reference. */
    public record Running(OpenAiServer server, Engines.EngineHandle engine) implements AutoCloseable {
        public String baseUrl() { return server.baseUri().toString(); }

        @Override
        public void close() {
            server.close();
            engine.close();
        }
    }
}
