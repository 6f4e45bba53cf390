package io.r1stream.engine.tokenizer;

/**
 * What {@link TokenizerGenerator#write} produced: how many ids the tokenizer uses and where the
 * DeepSeek-R1 control tokens sit. A model that uses this tokenizer needs {@code vocab_size >= totalTokens}
 * (its embedding and lm_head rows); extra rows are simply never produced by encoding.
 *
 * @param bpeVocabSize byte tokens (256) plus learned merges; ids {@code [0, bpeVocabSize)}
 * @param totalTokens  bpeVocabSize plus the added tokens; ids {@code [0, totalTokens)}
 */
public record TokenizerSpec(
        int bpeVocabSize,
        int totalTokens,
        int bosId,
        int eosId,
        int padId,
        int userId,
        int assistantId,
        int thinkId,
        int endThinkId) {}
