package io.r1stream.operators;

import io.r1stream.engine.InferenceEngine;

import java.io.Serializable;

/**
 * How a conversation operator gets its engine: serializable, so it travels with the job graph, and opened
 * once per subtask in {@code open()}. The real one ({@link SharedEngineFactory}) hands every subtask in a
 * TaskManager the same engine; tests pass a factory of a latch-controlled fake.
 */
@FunctionalInterface
public interface EngineFactory extends Serializable {

    Session open();

    /** A subtask's hold on an engine and the codec of its model; closed when the subtask closes. */
    interface Session extends AutoCloseable {
        InferenceEngine engine();

        PromptCodec codec();

        /** Set for a backend that takes messages (a remote server renders and caches): turns go there, not to {@link #engine()}. */
        default ChatBackend chat() { return null; }

        @Override
        void close();

        static Session of(InferenceEngine engine, PromptCodec codec, Runnable onClose) {
            return new Session() {
                @Override public InferenceEngine engine() { return engine; }
                @Override public PromptCodec codec() { return codec; }
                @Override public void close() { onClose.run(); }
            };
        }
    }
}
