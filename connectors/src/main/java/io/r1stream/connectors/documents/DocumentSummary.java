package io.r1stream.connectors.documents;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Objects;

/**
 * One output line of the summarization job (JSONL, snake_case), one per input document:
 *
 * <pre>{"doc_id":"notes/a.md","source":"/data/notes/a.md","summary":"...","chunks":3,"reduce_levels":1,
 *  "prompt_tokens":1830,"completion_tokens":512,"latency_ms":8123.4}
 * {"doc_id":"img.txt","source":"/data/img.txt","error":"binary content (NUL byte at offset 12): not a text file"}</pre>
 *
 * A failed document has {@code doc_id}, {@code source} and {@code error}; the other fields are omitted.
 *
 * @param chunks           map chunks the document was split into
 * @param reduceLevels     combine rounds over the chunk summaries (0 for a one-chunk document)
 * @param promptTokens     prompt tokens of every request for this document (map and reduce)
 * @param completionTokens generated tokens of every request, reasoning included
 * @param latencyMs        from the first request to the final summary, ms
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DocumentSummary(
        @JsonProperty("doc_id") String docId,
        @JsonProperty("source") String source,
        @JsonProperty("summary") String summary,
        @JsonProperty("chunks") Integer chunks,
        @JsonProperty("reduce_levels") Integer reduceLevels,
        @JsonProperty("prompt_tokens") Long promptTokens,
        @JsonProperty("completion_tokens") Long completionTokens,
        @JsonProperty("latency_ms") Double latencyMs,
        @JsonProperty("error") String error) {

    public DocumentSummary {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(source, "source");
        if ((summary == null) == (error == null)) {
            throw new IllegalArgumentException("summary of " + docId + ": exactly one of summary and error must be set");
        }
    }

    public static DocumentSummary of(String docId, String source, String summary, int chunks, int reduceLevels,
                                     long promptTokens, long completionTokens, double latencyMs) {
        return new DocumentSummary(docId, source, summary, chunks, reduceLevels, promptTokens, completionTokens, latencyMs, null);
    }

    public static DocumentSummary failed(String docId, String source, String error) {
        return new DocumentSummary(docId, source, null, null, null, null, null, null, error);
    }

    public boolean isError() { return error != null; }
}
