package io.r1stream.connectors.documents;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;

import io.r1stream.connectors.records.RawRecord;
import io.r1stream.connectors.records.RecordJson;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns bytes into {@link Document}s: files of a folder, lines of a JSONL file, Kafka records. Whatever cannot
 * become a text (empty, binary, not UTF-8, unreadable, too large, malformed JSON) becomes a failed document
 * that says why, never an exception and never a skip.
 */
public final class DocumentReader {
    /** Largest document read, bytes: a larger file is reported, not loaded. */
    public static final long MAX_DOCUMENT_BYTES = 64L << 20;
    private static final int BINARY_PROBE_BYTES = 8192;

    private DocumentReader() {}

    /**
     * The {@code .txt} and {@code .md} files under {@code root} (recursively, case-insensitive extension), as
     * paths relative to it, sorted. A sub-folder that cannot be listed is returned too, so reading it yields an
     * error line instead of it vanishing.
     */
    public static List<String> listFolder(Path root) {
        if (!Files.isDirectory(root)) {
            throw new IllegalArgumentException("input folder " + root + " is not a directory");
        }
        List<String> out = new ArrayList<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (isDocumentName(file.getFileName().toString())) out.add(root.relativize(file).toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    out.add(root.relativize(file).toString());
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list input folder " + root + ": " + e.getMessage(), e);
        }
        out.sort(null);
        return out;
    }

    static boolean isDocumentName(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".txt") || n.endsWith(".md");
    }

    /** Reads one file of a folder; {@code relative} becomes the doc id, the full path the source. */
    public static Document readFile(Path root, String relative) {
        Path file = root.resolve(relative);
        String source = file.toString();
        try {
            long size = Files.size(file);
            if (size > MAX_DOCUMENT_BYTES) {
                return Document.failed(relative, source, "file of " + size + " bytes is larger than the "
                        + MAX_DOCUMENT_BYTES + "-byte limit; split it");
            }
            return fromBytes(relative, source, Files.readAllBytes(file));
        } catch (IOException | SecurityException e) {
            return Document.failed(relative, source, "unreadable: " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    /** A document from raw bytes: must be non-blank UTF-8 text without NUL bytes. */
    public static Document fromBytes(String docId, String source, byte[] bytes) {
        String error = textError(bytes);
        if (error != null) return Document.failed(docId, source, error);
        String text = new String(bytes, StandardCharsets.UTF_8);
        return text.isBlank() ? Document.failed(docId, source, emptyError(bytes.length)) : Document.ok(docId, source, text);
    }

    private static String emptyError(int bytes) {
        return bytes == 0 ? "empty document (0 bytes)" : "empty document (" + bytes + " bytes of whitespace only)";
    }

    /** Why these bytes are not a text (null when they are): NUL bytes or invalid UTF-8 mean binary. */
    static String textError(byte[] bytes) {
        int probe = Math.min(bytes.length, BINARY_PROBE_BYTES);
        for (int i = 0; i < probe; i++) {
            if (bytes[i] == 0) return "binary content (NUL byte at offset " + i + "): not a text file";
        }
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return null;
        } catch (CharacterCodingException e) {
            return "binary content (not valid UTF-8: " + e.getMessage() + "): not a text file";
        }
    }

    /**
     * One line of a JSONL file: {@code {"doc_id": "...", "text": "..."}}. A line without a usable doc_id is
     * named {@code line-N} (1-based).
     */
    public static Document fromJsonLine(String file, long lineNumber, String line) {
        String source = file + ":" + lineNumber;
        String fallbackId = "line-" + lineNumber;
        JsonNode node;
        try {
            node = RecordJson.mapper().readTree(line);
        } catch (JsonProcessingException e) {
            return Document.failed(fallbackId, source, "malformed JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            return Document.failed(fallbackId, source, "a JSONL line must be an object with doc_id and text");
        }
        JsonNode id = node.get("doc_id");
        if (id == null || !(id.isTextual() || id.isNumber()) || id.asText().isBlank()) {
            return Document.failed(fallbackId, source, "missing or blank doc_id (a string)");
        }
        return fromJsonText(id.asText(), source, node.get("text"));
    }

    private static Document fromJsonText(String docId, String source, JsonNode text) {
        if (text == null || text.isNull()) return Document.failed(docId, source, "missing text");
        if (!text.isTextual()) return Document.failed(docId, source, "text must be a string, got " + text.getNodeType());
        String t = text.asText();
        if (t.indexOf('\0') >= 0) return Document.failed(docId, source, "binary content (NUL character in text)");
        return t.isBlank() ? Document.failed(docId, source, "empty document (blank text)") : Document.ok(docId, source, t);
    }

    /**
     * A Kafka record: a JSON object with {@code doc_id} and {@code text}, or else the value as plain UTF-8 text
     * with the record key (else {@code topic-partition@offset}) as doc id.
     */
    public static Document fromKafka(RawRecord r) {
        String source = r.topic() + "-" + r.partition() + "@" + r.offset();
        String keyId = r.key() == null || r.key().length == 0 || textError(r.key()) != null
                ? source : new String(r.key(), StandardCharsets.UTF_8);
        if (r.value() == null) return Document.failed(keyId, source, "empty document (null value, a tombstone)");
        String error = textError(r.value());
        if (error != null) return Document.failed(keyId, source, error);
        String value = new String(r.value(), StandardCharsets.UTF_8);
        String trimmed = value.strip();
        if (trimmed.startsWith("{")) {
            try {
                JsonNode node = RecordJson.mapper().readTree(trimmed);
                if (node != null && node.isObject() && node.has("text")) {
                    JsonNode id = node.get("doc_id");
                    String docId = id != null && (id.isTextual() || id.isNumber()) && !id.asText().isBlank() ? id.asText() : keyId;
                    return fromJsonText(docId, source, node.get("text"));
                }
            } catch (JsonProcessingException notJson) {
                // plain text that happens to start with '{'
            }
        }
        return value.isBlank() ? Document.failed(keyId, source, emptyError(r.value().length)) : Document.ok(keyId, source, value);
    }
}
