package io.r1stream.connectors.documents;

import io.r1stream.connectors.records.RecordJson;

import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Writes {@link DocumentSummary}s as JSONL to one file, for a bounded job at parallelism 1. Lines go to
 * {@code OUTPUT.inprogress}, which is renamed to {@code OUTPUT} once the input has ended, so a complete file
 * never looks like a partial one. A restarted task starts the in-progress file again.
 */
public final class SummaryFileSink implements Sink<DocumentSummary> {
    private static final long serialVersionUID = 1L;

    private final String output;

    public SummaryFileSink(Path output) { this.output = output.toAbsolutePath().normalize().toString(); }

    @Override
    public SinkWriter<DocumentSummary> createWriter(WriterInitContext context) throws IOException {
        if (context.getTaskInfo().getNumberOfParallelSubtasks() != 1) {
            throw new IllegalStateException("SummaryFileSink writes one file: run it at parallelism 1");
        }
        return new Writer(Path.of(output));
    }

    private static final class Writer implements SinkWriter<DocumentSummary> {
        private final Path output;
        private final Path inProgress;
        private final BufferedWriter out;
        private boolean ended;

        Writer(Path output) throws IOException {
            this.output = output;
            this.inProgress = output.resolveSibling(output.getFileName() + ".inprogress");
            if (output.getParent() != null) Files.createDirectories(output.getParent());
            this.out = Files.newBufferedWriter(inProgress, StandardCharsets.UTF_8);
        }

        @Override
        public void write(DocumentSummary s, Context context) throws IOException {
            out.write(RecordJson.toJson(s));
            out.write('\n');
        }

        @Override
        public void flush(boolean endOfInput) throws IOException {
            out.flush();
            ended |= endOfInput;
        }

        @Override
        public void close() throws IOException {
            out.close();
            if (ended) Files.move(inProgress, output, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
    }
}
