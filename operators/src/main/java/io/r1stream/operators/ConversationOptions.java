package io.r1stream.operators;

import java.io.Serializable;
import java.time.Duration;

/**
 * Settings of the conversation operator. Start from {@link #defaults()} and change single values.
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>unit</th><th>meaning</th></tr>
 *   <tr><td>maxInFlight</td><td>64</td><td>requests</td><td>turns submitted to the engine at once per subtask;
 *       when reached, the operator stops taking input (backpressure to Kafka)</td></tr>
 *   <tr><td>maxMessageTokens</td><td>4096</td><td>tokens</td><td>longest user message; longer ones become dead
 *       letters (so does a conversation whose prompt plus max_tokens exceeds the model's context)</td></tr>
 *   <tr><td>idleTtl</td><td>1 h</td><td>duration</td><td>a conversation without activity for this long is
 *       forgotten (keyed state and engine KV); zero or negative = never</td></tr>
 *   <tr><td>kvTier</td><td>off</td><td></td><td>when KV caches are copied into keyed state, see {@link KvStateTier}</td></tr>
 *   <tr><td>promptsTopic</td><td>prompts</td><td></td><td>topic named in dead letters this operator writes</td></tr>
 * </table>
 */
public record ConversationOptions(int maxInFlight, int maxMessageTokens, Duration idleTtl, KvStateTier kvTier,
                                  String promptsTopic) implements Serializable {

    public ConversationOptions {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight
                    + "; it bounds the turns one subtask has in the engine at once");
        }
        if (maxMessageTokens < 1) throw new IllegalArgumentException("maxMessageTokens must be >= 1, got " + maxMessageTokens);
        if (idleTtl == null) idleTtl = Duration.ZERO;
        if (kvTier == null) kvTier = KvStateTier.OFF;
        if (promptsTopic == null) promptsTopic = "prompts";
    }

    public static ConversationOptions defaults() {
        return new ConversationOptions(64, 4096, Duration.ofHours(1), KvStateTier.OFF, "prompts");
    }

    public ConversationOptions withMaxInFlight(int n) { return new ConversationOptions(n, maxMessageTokens, idleTtl, kvTier, promptsTopic); }
    public ConversationOptions withMaxMessageTokens(int n) { return new ConversationOptions(maxInFlight, n, idleTtl, kvTier, promptsTopic); }
    public ConversationOptions withIdleTtl(Duration d) { return new ConversationOptions(maxInFlight, maxMessageTokens, d, kvTier, promptsTopic); }
    public ConversationOptions withKvTier(KvStateTier t) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, t, promptsTopic); }
    public ConversationOptions withPromptsTopic(String t) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, t); }
}
