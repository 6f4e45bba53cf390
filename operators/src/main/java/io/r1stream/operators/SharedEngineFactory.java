package io.r1stream.operators;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;

/**
 * The JVM-wide engine for a model ({@link Engines#acquire}): the first subtask to open loads the model, the
 * last one to close frees it.
 */
public final class SharedEngineFactory implements EngineFactory {
    private static final long serialVersionUID = 1L;

    private final EngineOptions options;

    public SharedEngineFactory(EngineOptions options) { this.options = options; }

    public EngineOptions options() { return options; }

    @Override
    public Session open() {
        Engines.EngineHandle handle = Engines.acquire(options);
        return Session.of(handle.engine(), new ModelPromptCodec(handle.model()), handle::close);
    }
}
