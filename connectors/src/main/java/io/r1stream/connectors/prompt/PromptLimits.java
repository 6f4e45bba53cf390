package io.r1stream.connectors.prompt;

import java.io.Serializable;

/**
 * Limits and defaults that {@link PromptParser} applies to each prompt. Immutable; start from
 * {@link #defaults()} and change single values with the {@code with...} methods:
 *
 * <pre>{@code
 * PromptLimits limits = PromptLimits.defaults().withMaxTokensLimit(2048).withMaxMessageChars(8000);
 * }</pre>
 *
 * <table>
 *   <caption>Options</caption>
 *   <tr><th>option</th><th>default</th><th>unit</th><th>meaning</th></tr>
 *   <tr><td>maxTokensLimit</td><td>4096</td><td>tokens</td><td>largest accepted {@code max_tokens}</td></tr>
 *   <tr><td>maxMessageChars</td><td>32768</td><td>code points</td><td>longest accepted {@code message}
 *       and {@code system}</td></tr>
 *   <tr><td>maxIdChars</td><td>256</td><td>code points</td><td>longest accepted {@code request_id} and
 *       {@code conversation_id}</td></tr>
 *   <tr><td>defaultMaxTokens</td><td>1024</td><td>tokens</td><td>{@code max_tokens} when absent
 *       (clamped to maxTokensLimit)</td></tr>
 *   <tr><td>defaultTemperature</td><td>0.6</td><td></td><td>{@code temperature} when absent (DeepSeek-R1's
 *       recommendation)</td></tr>
 *   <tr><td>defaultTopP</td><td>0.95</td><td></td><td>{@code top_p} when absent</td></tr>
 *   <tr><td>defaultTopK</td><td>0</td><td></td><td>{@code top_k} when absent (0 = off)</td></tr>
 *   <tr><td>maxDeadLetterRawBytes</td><td>262144</td><td>bytes</td><td>how much of a bad record's value a
 *       dead letter keeps, so the dead letter fits Kafka's default 1 MiB message limit</td></tr>
 * </table>
 */
public record PromptLimits(
        int maxTokensLimit,
        int maxMessageChars,
        int maxIdChars,
        int defaultMaxTokens,
        double defaultTemperature,
        double defaultTopP,
        int defaultTopK,
        int maxDeadLetterRawBytes) implements Serializable {

    public PromptLimits {
        requirePositive("maxTokensLimit", maxTokensLimit);
        requirePositive("maxMessageChars", maxMessageChars);
        requirePositive("maxIdChars", maxIdChars);
        requirePositive("maxDeadLetterRawBytes", maxDeadLetterRawBytes);
        if (defaultMaxTokens < 1 || defaultMaxTokens > maxTokensLimit) {
            throw new IllegalArgumentException("defaultMaxTokens must be between 1 and maxTokensLimit ("
                    + maxTokensLimit + "), got " + defaultMaxTokens + "; lower it or raise maxTokensLimit");
        }
        if (!(defaultTemperature >= 0 && defaultTemperature <= 2)) {
            throw new IllegalArgumentException("defaultTemperature must be between 0 and 2, got " + defaultTemperature);
        }
        if (!(defaultTopP > 0 && defaultTopP <= 1)) {
            throw new IllegalArgumentException("defaultTopP must be in (0, 1], got " + defaultTopP);
        }
        if (defaultTopK < 0) {
            throw new IllegalArgumentException("defaultTopK must be >= 0 (0 disables top-k), got " + defaultTopK);
        }
    }

    /** The defaults in the table above. */
    public static PromptLimits defaults() {
        return new PromptLimits(4096, 32768, 256, 1024, 0.6, 0.95, 0, 256 * 1024);
    }

    public PromptLimits withMaxTokensLimit(int value) {
        return new PromptLimits(value, maxMessageChars, maxIdChars, Math.min(defaultMaxTokens, value),
                defaultTemperature, defaultTopP, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withMaxMessageChars(int value) {
        return new PromptLimits(maxTokensLimit, value, maxIdChars, defaultMaxTokens,
                defaultTemperature, defaultTopP, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withMaxIdChars(int value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, value, defaultMaxTokens,
                defaultTemperature, defaultTopP, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withDefaultMaxTokens(int value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, maxIdChars, value,
                defaultTemperature, defaultTopP, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withDefaultTemperature(double value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, maxIdChars, defaultMaxTokens,
                value, defaultTopP, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withDefaultTopP(double value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, maxIdChars, defaultMaxTokens,
                defaultTemperature, value, defaultTopK, maxDeadLetterRawBytes);
    }

    public PromptLimits withDefaultTopK(int value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, maxIdChars, defaultMaxTokens,
                defaultTemperature, defaultTopP, value, maxDeadLetterRawBytes);
    }

    public PromptLimits withMaxDeadLetterRawBytes(int value) {
        return new PromptLimits(maxTokensLimit, maxMessageChars, maxIdChars, defaultMaxTokens,
                defaultTemperature, defaultTopP, defaultTopK, value);
    }

    private static void requirePositive(String name, int value) {
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
    }
}
