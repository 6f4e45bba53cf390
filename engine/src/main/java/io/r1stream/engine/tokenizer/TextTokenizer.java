package io.r1stream.engine.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Iterator;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Text to token ids and back with a Hugging Face {@code tokenizer.json}, through DJL's binding of the Rust
 * tokenizers library. Configured for a chat engine, not for classification:
 * <ul>
 *   <li>no special tokens added by encoding (the chat template writes bos itself, so it is never doubled);
 *       special-token strings in the text, like {@code <｜User｜>}, still become their single ids;</li>
 *   <li>no truncation (DJL truncates to 512 tokens unless told otherwise) and no padding.</li>
 * </ul>
 * Holds native memory: close it. The Rust tokenizer is not changed after loading, so concurrent encode/decode
 * should be safe, but DJL documents no guarantee and no test here checks it.
 */
public final class TextTokenizer implements AutoCloseable {

    private final Path file;
    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> idOfToken;
    private final List<String> addedTokens; // tokenizer.json's added_tokens, longest first
    private final int vocabSize;

    private TextTokenizer(Path file, HuggingFaceTokenizer tokenizer, Map<String, Integer> idOfToken, List<String> addedTokens) {
        this.file = file;
        this.tokenizer = tokenizer;
        this.idOfToken = idOfToken;
        this.addedTokens = addedTokens.stream().filter(t -> !t.isEmpty())
                .sorted(Comparator.comparingInt(String::length).reversed()).toList();
        this.vocabSize = idOfToken.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    }

    /**
     * Loads {@code tokenizer.json} from a model directory (or the file itself when given one).
     *
     * @throws TokenizerFormatException when the file is missing, unreadable, or not a tokenizer.json
     */
    public static TextTokenizer load(Path modelDirOrFile) {
        Path file = Files.isDirectory(modelDirOrFile)
                ? modelDirOrFile.resolve(TokenizerGenerator.TOKENIZER_FILE) : modelDirOrFile;
        if (!Files.isRegularFile(file)) {
            throw new TokenizerFormatException("No tokenizer file at " + file.toAbsolutePath()
                    + ": the model directory needs the Hugging Face tokenizer.json"
                    + " (generate one with TokenizerGenerator for test models)");
        }
        JsonNode json = readJson(file);
        Map<String, Integer> ids = readTokenIds(file, json);
        List<String> added = new ArrayList<>();
        for (JsonNode a : json.path("added_tokens")) added.add(a.path("content").asText());
        HuggingFaceTokenizer hf;
        try {
            hf = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new TokenizerFormatException("Cannot load " + file.toAbsolutePath()
                    + " as a Hugging Face tokenizer: " + e.getMessage(), e);
        }
        return new TextTokenizer(file, hf, ids, added);
    }

    /** Token ids of the text, exactly as the model must see them; nothing added, nothing cut. */
    public int[] encode(String text) {
        long[] ids = tokenizer.encode(text, false, false).getIds();
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = (int) ids[i];
        }
        return out;
    }

    /**
     * Token ids of text that must stay text (user, system and history content): a string spelled like an
     * added token ({@code <｜User｜>}, {@code <｜Assistant｜>}, {@code <think>}) becomes the ordinary tokens of
     * its characters, never the control token, so a user cannot forge turns of a conversation. Such a string is
     * encoded as two halves (neither matches an added token); text without one encodes exactly as
     * {@link #encode}.
     */
    public int[] encodePlain(String text) {
        List<int[]> parts = new ArrayList<>();
        int from = 0;
        while (from < text.length()) {
            int at = -1;
            String hit = null;
            for (String t : addedTokens) {
                int i = text.indexOf(t, from);
                if (i >= 0 && (at < 0 || i < at)) {
                    at = i;
                    hit = t;
                }
            }
            if (hit == null) {
                parts.add(encode(text.substring(from)));
                break;
            }
            if (at > from) parts.add(encode(text.substring(from, at)));
            int mid = hit.offsetByCodePoints(0, Math.max(1, hit.codePointCount(0, hit.length()) / 2));
            parts.add(encode(hit.substring(0, mid)));
            parts.add(encode(hit.substring(mid)));
            from = at + hit.length();
        }
        int n = 0;
        for (int[] p : parts) n += p.length;
        int[] out = new int[n];
        int k = 0;
        for (int[] p : parts) {
            System.arraycopy(p, 0, out, k, p.length);
            k += p.length;
        }
        return out;
    }

    /** The id of a control token the template writes itself; a clear error when the tokenizer lacks it. */
    public int controlTokenId(String token) {
        Integer id = idOfToken.get(token);
        if (id == null) {
            throw new TokenizerFormatException(file.toAbsolutePath() + " has no token " + token
                    + ": the DeepSeek-R1 chat template needs it in added_tokens");
        }
        return id;
    }

    /** The text of the ids, special tokens included: the inverse of {@link #encode} (for NFC text). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** The text of the ids; with {@code skipSpecialTokens}, bos/eos/pad/User/Assistant are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        long[] wide = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            wide[i] = ids[i];
        }
        return tokenizer.decode(wide, skipSpecialTokens);
    }

    /** The id of one vocabulary entry or added token, spelled as in tokenizer.json (byte-level for BPE entries). */
    public OptionalInt tokenId(String token) {
        Integer id = idOfToken.get(token);
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** Number of ids the tokenizer can produce: highest id + 1. The model's vocab_size must be at least this. */
    public int vocabSize() {
        return vocabSize;
    }

    /** The tokenizer.json this was loaded from. */
    public Path file() {
        return file;
    }

    /** A new detokenizer for one generated sequence; see {@link StreamingDetokenizer}. */
    public StreamingDetokenizer newStreamingDetokenizer(boolean skipSpecialTokens) {
        return new StreamingDetokenizer(this, skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode root = new ObjectMapper().readTree(file.toFile());
            return root == null ? com.fasterxml.jackson.databind.node.MissingNode.getInstance() : root; // empty file

        } catch (IOException e) {
            throw new TokenizerFormatException("Cannot parse " + file.toAbsolutePath() + " as JSON: "
                    + e.getMessage(), e);
        }
    }

    // DJL 0.36 has no token -> id lookup, so read model.vocab and added_tokens ourselves.
    private static Map<String, Integer> readTokenIds(Path file, JsonNode root) {
        JsonNode vocab = root.path("model").get("vocab");
        if (vocab == null || !vocab.isObject()) {
            throw new TokenizerFormatException(file.toAbsolutePath() + " has no model.vocab object;"
                    + " expected a Hugging Face tokenizer.json with a BPE model");
        }
        Map<String, Integer> ids = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            ids.put(e.getKey(), e.getValue().asInt());
        }
        for (JsonNode added : root.path("added_tokens")) {
            ids.put(added.path("content").asText(), added.path("id").asInt());
        }
        return ids;
    }
}
