package io.r1stream.cli;

import io.r1stream.engine.model.WeightFormat;
import io.r1stream.engine.model.WeightFormatSpec;
import io.r1stream.engine.model.load.QuantizedCheckpointWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

/**
 * {@code r1stream model quantize}: a dense checkpoint written once as int8 or q4 so loading is fast. The layout
 * is GPTQ v1's (qweight/qzeros/scales/g_idx, {@code quantization_config.quant_method: gptq},
 * {@code r1stream_layout: 1}), with the embeddings and lm_head quantized too; the codes are exactly those
 * {@code --weight-format} with the same value gives at load.
 */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = "Write a dense checkpoint as int8 or q4 (GPTQ v1 tensors, embeddings and lm_head included; r1stream_layout 1).")
final class ModelQuantizeCommand implements Callable<Integer> {
    @Option(names = "--in", required = true, paramLabel = "DIR", description = "dense Hugging Face model directory (f32/f16/bf16)")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "output directory (tokenizer and config files are copied)")
    Path out;

    @Option(names = "--format", required = true, paramLabel = "int8|q4[:gN|:row][:zp]",
            description = "codes and groups, as --weight-format takes them (int8 default one scale per row, q4 default g32)")
    String format;

    @Override
    public Integer call() {
        WeightFormatSpec spec = WeightFormatSpec.parse(format);
        if (spec.format() == null || !spec.format().quantized() || !spec.keep().isEmpty()) {
            throw new IllegalArgumentException("--format '" + format + "' must be int8 or q4 with gN, row or zp options (keep= applies at load only)");
        }
        long t0 = System.nanoTime();
        int bits = spec.format() == WeightFormat.INT8 ? 8 : 4;
        QuantizedCheckpointWriter.write(in, out, new QuantizedCheckpointWriter.Options("gptq", bits, spec.group() == 0 ? -1 : spec.group(),
                !spec.zeroPoint(), false, true, 0));
        System.out.printf("wrote %s (%s) to %s in %.1f s%n", in.getFileName(), spec, out, (System.nanoTime() - t0) / 1e9);
        return 0;
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) Files.delete(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
