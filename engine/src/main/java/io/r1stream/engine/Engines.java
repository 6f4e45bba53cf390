package io.r1stream.engine;

import java.util.HashMap;
import java.util.Map;

/**
 * One engine per model per JVM, shared by every caller there (Flink subtasks in one TaskManager, CLI tools):
 * reference counted, built by the first {@link #acquire} and closed when the last holder closes it.
 */
public final class Engines {
    private static final Map<EngineOptions, Shared> ENGINES = new HashMap<>();

    private Engines() {}

    /** A handle on the shared engine for these options; close it when done. */
    public static synchronized EngineHandle acquire(EngineOptions options) {
        Shared s = ENGINES.get(options);
        if (s == null) {
            LoadedModel model = LoadedModel.load(options);
            s = new Shared(model, new BatchingEngine(model.forwardPass(), model.defaults().eosTokenIds(), model::newDetokenizer, options,
                    model.fingerprint()));
            ENGINES.put(options, s);
        }
        s.refs++;
        return new EngineHandle(options, s.model, s.engine);
    }

    static synchronized void release(EngineOptions options) {
        Shared s = ENGINES.get(options);
        if (s != null && --s.refs == 0) {
            ENGINES.remove(options);
            s.engine.close();
            s.model.close();
        }
    }

    /** Holders of the engine for these options (0 when none is loaded). */
    public static synchronized int references(EngineOptions options) {
        Shared s = ENGINES.get(options);
        return s == null ? 0 : s.refs;
    }

    private static final class Shared {
        final LoadedModel model;
        final BatchingEngine engine;
        int refs;

        Shared(LoadedModel model, BatchingEngine engine) {
            this.model = model;
            this.engine = engine;
        }
    }

    /** A caller's reference: the model (tokenizer, template) and the engine. Close exactly once. */
    public static final class EngineHandle implements AutoCloseable {
        private final EngineOptions options;
        private final LoadedModel model;
        private final BatchingEngine engine;
        private boolean closed;

        EngineHandle(EngineOptions options, LoadedModel model, BatchingEngine engine) {
            this.options = options;
            this.model = model;
            this.engine = engine;
        }

        public LoadedModel model() { return model; }
        public BatchingEngine engine() { return engine; }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            release(options);
        }
    }
}
