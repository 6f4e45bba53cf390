package io.r1stream.engine.tokenizer;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a real Hugging Face tokenizer for generated test models: {@code tokenizer.json} (byte-level BPE
 * in the layout of Qwen2's, trained here on an embedded corpus) and {@code tokenizer_config.json}
 * (DeepSeek-R1-Distill's fields and chat template). Same arguments, byte-identical files.
 *
 * <p>Ids: {@code 0..255} are the bytes (id = byte value), then the learned merges up to
 * {@code bpeVocabSize}, then the R1 added tokens in the order of {@link R1SpecialTokens}. The model that
 * uses the tokenizer must have {@code vocab_size >= spec.totalTokens()}; that is the caller's check.
 *
 * <pre>{@code
 * TokenizerSpec spec = TokenizerGenerator.write(modelDir, 512);
 * try (TextTokenizer tok = TextTokenizer.load(modelDir)) { int[] ids = tok.encode("<think>\nhi"); }
 * }</pre>
 */
public final class TokenizerGenerator {

    /** Smallest BPE vocabulary: the 256 byte tokens, no merges. */
    public static final int MIN_BPE_VOCAB = 256;
    /** Largest BPE vocabulary the embedded corpus plus its pseudo-word supplement can fill. */
    public static final int MAX_BPE_VOCAB = 32_768;
    /** {@code model_max_length} written to tokenizer_config.json, as in DeepSeek-R1-Distill (tokens). */
    public static final int MODEL_MAX_LENGTH = 16_384;

    static final String TOKENIZER_FILE = "tokenizer.json";
    static final String CONFIG_FILE = "tokenizer_config.json";

    private static final int SUPPLEMENT_WORDS = 120_000;
    private static final String CHAT_TEMPLATE_RESOURCE = "deepseek-r1-chat-template.jinja";
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private TokenizerGenerator() {}

    /**
     * Trains the BPE, writes both files into {@code dir} (created if missing; existing files replaced).
     *
     * @param bpeVocabSize byte tokens plus merges, {@value #MIN_BPE_VOCAB}..{@value #MAX_BPE_VOCAB};
     *                     the added tokens come on top (see {@link TokenizerSpec#totalTokens()})
     */
    public static TokenizerSpec write(Path dir, int bpeVocabSize) {
        if (bpeVocabSize < MIN_BPE_VOCAB || bpeVocabSize > MAX_BPE_VOCAB) {
            throw new IllegalArgumentException("bpeVocabSize must be between " + MIN_BPE_VOCAB + " (the byte tokens)"
                    + " and " + MAX_BPE_VOCAB + ", was " + bpeVocabSize);
        }
        BpeTrainer trainer = train(bpeVocabSize);
        TokenizerSpec spec = specFor(bpeVocabSize);
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve(TOKENIZER_FILE), toBytes(tokenizerJson(trainer, spec)));
            Files.write(dir.resolve(CONFIG_FILE), toBytes(tokenizerConfigJson(spec)));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the tokenizer files into " + dir.toAbsolutePath(), e);
        }
        return spec;
    }

    /** The DeepSeek-R1 chat template (Jinja), as tokenizer_config.json carries it. */
    public static String chatTemplate() {
        try (InputStream in = TokenizerGenerator.class.getResourceAsStream(CHAT_TEMPLATE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("Resource " + CHAT_TEMPLATE_RESOURCE + " is missing from the engine jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read resource " + CHAT_TEMPLATE_RESOURCE, e);
        }
    }

    private static BpeTrainer train(int bpeVocabSize) {
        BpeTrainer trainer = new BpeTrainer();
        trainer.addWords(TrainingCorpus.englishWords());
        if (trainer.learnUntil(bpeVocabSize)) {
            return trainer;
        }
        // English exhausted: every corpus word is one token. Fill the rest from pseudo-words.
        trainer.addWords(TrainingCorpus.supplementWords(SUPPLEMENT_WORDS));
        if (!trainer.learnUntil(bpeVocabSize)) {
            throw new IllegalStateException("The training corpus ran out of merges at " + trainer.tokens().size()
                    + " tokens, below the requested " + bpeVocabSize + "; ask for fewer tokens");
        }
        return trainer;
    }

    private static TokenizerSpec specFor(int bpeVocabSize) {
        int total = bpeVocabSize + R1SpecialTokens.IN_ID_ORDER.size();
        return new TokenizerSpec(bpeVocabSize, total,
                idOf(R1SpecialTokens.BOS, bpeVocabSize), idOf(R1SpecialTokens.EOS, bpeVocabSize),
                idOf(R1SpecialTokens.PAD, bpeVocabSize), idOf(R1SpecialTokens.USER, bpeVocabSize),
                idOf(R1SpecialTokens.ASSISTANT, bpeVocabSize), idOf(R1SpecialTokens.THINK, bpeVocabSize),
                idOf(R1SpecialTokens.END_THINK, bpeVocabSize));
    }

    private static int idOf(String addedToken, int bpeVocabSize) {
        return bpeVocabSize + R1SpecialTokens.IN_ID_ORDER.indexOf(addedToken);
    }

    private static ObjectNode tokenizerJson(BpeTrainer trainer, TokenizerSpec spec) {
        ObjectNode root = JSON.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> addedTokens = R1SpecialTokens.IN_ID_ORDER;
        for (int i = 0; i < addedTokens.size(); i++) {
            String content = addedTokens.get(i);
            ObjectNode t = added.addObject();
            t.put("id", spec.bpeVocabSize() + i);
            t.put("content", content);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            // Matched on the raw text, before NFC: the control tokens must never be altered by normalization.
            t.put("normalized", false);
            t.put("special", R1SpecialTokens.isSpecial(content));
        }
        root.putObject("normalizer").put("type", "NFC");

        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode steps = pre.putArray("pretokenizers");
        ObjectNode split = steps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", TrainingCorpus.QWEN2_SPLIT_REGEX);
        split.put("behavior", "Isolated");
        split.put("invert", false);
        steps.add(byteLevel()); // use_regex=false: the Split above already did GPT-2-style splitting

        // As in R1-Distill (add_bos_token=true): encoding WITH special tokens prepends bos.
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.add(specialPiece(R1SpecialTokens.BOS, 0));
        single.add(sequencePiece("A", 0));
        ArrayNode pair = post.putArray("pair");
        pair.add(specialPiece(R1SpecialTokens.BOS, 0));
        pair.add(sequencePiece("A", 0));
        pair.add(specialPiece(R1SpecialTokens.BOS, 1));
        pair.add(sequencePiece("B", 1));
        ObjectNode bos = post.putObject("special_tokens").putObject(R1SpecialTokens.BOS);
        bos.put("id", R1SpecialTokens.BOS);
        bos.putArray("ids").add(spec.bosId());
        bos.putArray("tokens").add(R1SpecialTokens.BOS);

        root.set("decoder", byteLevel());

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        List<String> tokens = trainer.tokens();
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        // "left right": unambiguous because byte-level tokens never contain a real space (it is Ġ).
        ArrayNode merges = model.putArray("merges");
        for (BpeTrainer.Merge m : trainer.merges()) {
            merges.add(tokens.get(m.left()) + " " + tokens.get(m.right()));
        }
        return root;
    }

    private static ObjectNode tokenizerConfigJson(TokenizerSpec spec) {
        ObjectNode root = JSON.objectNode();
        root.put("add_bos_token", true);
        root.put("add_eos_token", false);
        ObjectNode decoder = root.putObject("added_tokens_decoder");
        for (String content : R1SpecialTokens.IN_ID_ORDER) {
            ObjectNode t = decoder.putObject(Integer.toString(spec.bpeVocabSize()
                    + R1SpecialTokens.IN_ID_ORDER.indexOf(content)));
            t.put("content", content);
            t.put("lstrip", false);
            t.put("normalized", false);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", R1SpecialTokens.isSpecial(content));
        }
        // Plain strings, not {"__type": "AddedToken", ...} objects: DJL's TokenizerConfig reads them as strings.
        root.put("bos_token", R1SpecialTokens.BOS);
        root.put("clean_up_tokenization_spaces", false);
        root.put("eos_token", R1SpecialTokens.EOS);
        root.put("legacy", true);
        root.put("model_max_length", MODEL_MAX_LENGTH);
        root.put("pad_token", R1SpecialTokens.PAD);
        root.putObject("sp_model_kwargs");
        root.putNull("unk_token");
        root.put("tokenizer_class", "LlamaTokenizerFast");
        root.put("chat_template", chatTemplate());
        return root;
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = JSON.objectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", false);
        n.put("use_regex", false);
        return n;
    }

    private static ObjectNode specialPiece(String token, int typeId) {
        ObjectNode piece = JSON.objectNode();
        ObjectNode inner = piece.putObject("SpecialToken");
        inner.put("id", token);
        inner.put("type_id", typeId);
        return piece;
    }

    private static ObjectNode sequencePiece(String id, int typeId) {
        ObjectNode piece = JSON.objectNode();
        ObjectNode inner = piece.putObject("Sequence");
        inner.put("id", id);
        inner.put("type_id", typeId);
        return piece;
    }

    private static byte[] toBytes(ObjectNode json) throws IOException {
        // Fixed "\n" line ends, whatever the platform, so files are byte-identical everywhere.
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withObjectIndenter(indenter).withArrayIndenter(indenter);
        ObjectWriter writer = new ObjectMapper().writer(printer);
        return (writer.writeValueAsString(json) + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
