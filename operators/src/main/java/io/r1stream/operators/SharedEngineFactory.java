package io.r1stream.operators;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;
import io.r1stream.engine.kv.KvEncoding;

import java.nio.file.Path;

/**
 * The JVM-wide engine for a model ({@link Engines#acquire}): the first subtask to open loads the model, the
 * last one to close frees it. Holds the options field by field because {@link Path} is not serializable
 * (an {@link EngineOptions} in a job graph would fail to ship).
 */
public final class SharedEngineFactory implements EngineFactory {
    private static final long serialVersionUID = 1L;

    private final String modelDir;
    private final String device;
    private final String weightFormat;
    private final int threads;
    private final long kvBudgetBytes;
    private final long hostKvBudgetBytes;
    private final KvEncoding hostKvEncoding;
    private final int kvBlockTokens;
    private final int kvChunkTokens;
    private final int maxRunning;
    private final int maxTokensPerStep;

    public SharedEngineFactory(EngineOptions o) {
        this.modelDir = o.modelDir().toString();
        this.device = o.device();
        this.weightFormat = o.weightFormat();
        this.threads = o.threads();
        this.kvBudgetBytes = o.kvBudgetBytes();
        this.hostKvBudgetBytes = o.hostKvBudgetBytes();
        this.hostKvEncoding = o.hostKvEncoding();
        this.kvBlockTokens = o.kvBlockTokens();
        this.kvChunkTokens = o.kvChunkTokens();
        this.maxRunning = o.maxRunning();
        this.maxTokensPerStep = o.maxTokensPerStep();
    }

    public EngineOptions options() {
        return new EngineOptions(Path.of(modelDir), device, weightFormat, threads, kvBudgetBytes, hostKvBudgetBytes,
                hostKvEncoding, kvBlockTokens, kvChunkTokens, maxRunning, maxTokensPerStep);
    }

    @Override
    public Session open() {
        Engines.EngineHandle handle = Engines.acquire(options());
        return Session.of(handle.engine(), new ModelPromptCodec(handle.model()), handle::close);
    }
}
