package io.r1stream.connectors.documents;

import java.util.Objects;

/**
 * One input document of the summarization job, as read from a folder, a JSONL file or a Kafka topic; or the
 * reason it could not be read. A document that cannot be read still flows through the job, so it gets an
 * {@code error} line in the output instead of being skipped.
 *
 * @param docId  {@code doc_id}: the file's path relative to the input folder, the JSONL {@code doc_id}, or
 *               the Kafka record's {@code doc_id} (else its key, else {@code topic-partition@offset})
 * @param source where it came from: the file path, {@code file.jsonl:LINE} or {@code topic-partition@offset}
 * @param text   the text; null when {@code error} is set
 * @param error  why it cannot be summarized (empty, binary, unreadable, malformed); null for a good document
 */
public record Document(String docId, String source, String text, String error) {

    public Document {
        Objects.requireNonNull(docId, "docId");
        Objects.requireNonNull(source, "source");
        if ((text == null) == (error == null)) {
            throw new IllegalArgumentException("document " + docId + ": exactly one of text and error must be set");
        }
    }

    public static Document ok(String docId, String source, String text) {
        return new Document(docId, source, text, null);
    }

    public static Document failed(String docId, String source, String error) {
        return new Document(docId, source, null, error);
    }

    public boolean isError() { return error != null; }
}
