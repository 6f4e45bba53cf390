package io.r1stream.engine;

import io.r1stream.engine.kv.KvChunk;

import java.util.List;

/**
 * What callers (CLI, Flink operators, benchmarks) see of an engine. Every method is thread-safe; results and
 * streamed tokens arrive on the engine's own thread.
 */
public interface InferenceEngine extends AutoCloseable {

    /** Queues a request; it joins the running batch at the next step boundary. */
    Completion submit(GenerationRequest request, TokenListener listener);

    default Completion submit(GenerationRequest request) { return submit(request, TokenListener.NONE); }

    EngineMetrics metrics();

    /** The conversation's cached KV as chunks (engine or host tier), empty if none; for the Flink state tier. */
    List<KvChunk> exportKv(String conversationId);

    /** Offers chunks loaded from keyed state for the conversation's next turn. */
    void importKv(String conversationId, List<KvChunk> chunks);

    /** Forgets a conversation's cached KV (expired or finished). */
    void dropConversation(String conversationId);

    @Override
    void close();
}
