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
 *       letters</td></tr>
 *   <tr><td>idleTtl</td><td>1 h</td><td>duration</td><td>a conversation without activity for this long is
 *       forgotten (keyed state and engine KV); zero or negative = never</td></tr>
 *   <tr><td>kvTier</td><td>off</td><td></td><td>when KV caches are copied into keyed state, see {@link KvStateTier}</td></tr>
 *   <tr><td>promptsTopic</td><td>prompts</td><td></td><td>topic named in dead letters this operator writes</td></tr>
 *   <tr><td>turnTimeout</td><td>10 min</td><td>duration</td><td>a turn not answered this long after it reached
 *       the engine ends as an error result ({@code error} says so) and the conversation goes on; zero = never</td></tr>
 *   <tr><td>maxWaitingTurns</td><td>16</td><td>turns</td><td>turns of one conversation queued behind the one in
 *       flight; more become dead letters {@code conversation_queue_full}</td></tr>
 *   <tr><td>contextPolicy</td><td>drop-oldest</td><td></td><td>what happens when a conversation with its new
 *       message and {@code max_tokens} outgrows the model's context, see {@link ContextPolicy}</td></tr>
 *   <tr><td>dedupWindow</td><td>32</td><td>requests</td><td>answered request ids remembered per conversation: a
 *       duplicate (same {@code request_id}) gets the stored result again instead of a new turn</td></tr>
 * </table>
 */
public record ConversationOptions(int maxInFlight, int maxMessageTokens, Duration idleTtl, KvStateTier kvTier,
                                  String promptsTopic, Duration turnTimeout, int maxWaitingTurns,
                                  ContextPolicy contextPolicy, int dedupWindow) implements Serializable {

    public ConversationOptions {
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be >= 1, got " + maxInFlight
                    + "; it bounds the turns one subtask has in the engine at once");
        }
        if (maxMessageTokens < 1) throw new IllegalArgumentException("maxMessageTokens must be >= 1, got " + maxMessageTokens);
        if (maxWaitingTurns < 0) {
            throw new IllegalArgumentException("maxWaitingTurns must be >= 0, got " + maxWaitingTurns
                    + "; it bounds the turns queued behind a conversation's turn in flight");
        }
        if (dedupWindow < 0) throw new IllegalArgumentException("dedupWindow must be >= 0, got " + dedupWindow);
        if (idleTtl == null) idleTtl = Duration.ZERO;
        if (turnTimeout == null) turnTimeout = Duration.ZERO;
        if (kvTier == null) kvTier = KvStateTier.OFF;
        if (promptsTopic == null) promptsTopic = "prompts";
        if (contextPolicy == null) contextPolicy = ContextPolicy.DROP_OLDEST;
    }

    public ConversationOptions(int maxInFlight, int maxMessageTokens, Duration idleTtl, KvStateTier kvTier, String promptsTopic) {
        this(maxInFlight, maxMessageTokens, idleTtl, kvTier, promptsTopic, Duration.ofMinutes(10), 16,
                ContextPolicy.DROP_OLDEST, 32);
    }

    public static ConversationOptions defaults() {
        return new ConversationOptions(64, 4096, Duration.ofHours(1), KvStateTier.OFF, "prompts");
    }

    public ConversationOptions withMaxInFlight(int n) { return new ConversationOptions(n, maxMessageTokens, idleTtl, kvTier, promptsTopic, turnTimeout, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withMaxMessageTokens(int n) { return new ConversationOptions(maxInFlight, n, idleTtl, kvTier, promptsTopic, turnTimeout, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withIdleTtl(Duration d) { return new ConversationOptions(maxInFlight, maxMessageTokens, d, kvTier, promptsTopic, turnTimeout, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withKvTier(KvStateTier t) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, t, promptsTopic, turnTimeout, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withPromptsTopic(String t) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, t, turnTimeout, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withTurnTimeout(Duration d) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, promptsTopic, d, maxWaitingTurns, contextPolicy, dedupWindow); }
    public ConversationOptions withMaxWaitingTurns(int n) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, promptsTopic, turnTimeout, n, contextPolicy, dedupWindow); }
    public ConversationOptions withContextPolicy(ContextPolicy p) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, promptsTopic, turnTimeout, maxWaitingTurns, p, dedupWindow); }
    public ConversationOptions withDedupWindow(int n) { return new ConversationOptions(maxInFlight, maxMessageTokens, idleTtl, kvTier, promptsTopic, turnTimeout, maxWaitingTurns, contextPolicy, n); }
}
