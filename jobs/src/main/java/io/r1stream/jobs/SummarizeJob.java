package io.r1stream.jobs;

import io.r1stream.connectors.documents.DocumentSources;
import io.r1stream.connectors.documents.DocumentSummary;
import io.r1stream.connectors.documents.SummaryFileSink;
import io.r1stream.operators.SharedEngineFactory;
import io.r1stream.operators.summarize.SummarizeFunction;

import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The bounded summarization job, in BATCH runtime mode: documents (a folder, a JSONL file or a Kafka offset
 * range) -> {@link SummarizeFunction} (chunk, summarize every chunk on the shared engine, combine the summaries
 * round by round) -> one JSONL line per document in {@code --output}. A document that cannot be read or
 * summarized gets a line with its {@code error}; the job goes on.
 *
 * <pre>{@code
 * SummarizeJobOptions o = SummarizeJobOptions.fromArgs(args);
 * StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(SummarizeJob.configuration(o));
 * SummarizeJob.build(env, o);
 * env.execute("r1stream-summarize");
 * }</pre>
 */
public final class SummarizeJob {
    private SummarizeJob() {}

    public static void main(String[] args) throws Exception {
        SummarizeJobOptions o = SummarizeJobOptions.fromArgs(args);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(configuration(o));
        build(env, o);
        env.execute("r1stream-summarize");
    }

    /** BATCH runtime mode and the parallelism. */
    public static Configuration configuration(SummarizeJobOptions o) {
        Configuration c = new Configuration();
        c.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        c.set(CoreOptions.DEFAULT_PARALLELISM, o.parallelism());
        return c;
    }

    /** Adds the job to {@code env}; returns the summaries stream (before the file sink). */
    public static DataStream<DocumentSummary> build(StreamExecutionEnvironment env, SummarizeJobOptions o) {
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);
        DocumentSources.Input in = o.inputTopic() != null
                ? DocumentSources.kafka(env, o.bootstrapServers(), o.inputTopic(), o.groupId(), o.startOffsets(), o.endOffsets())
                : DocumentSources.fromPath(env, Path.of(o.input()));
        DataStream<DocumentSummary> summaries = AsyncDataStream.unorderedWait(in.documents(),
                        new SummarizeFunction(new SharedEngineFactory(o.engine()), o.summarize(), in.expectedDocuments()),
                        o.documentTimeout().toMillis(), TimeUnit.MILLISECONDS, o.maxInFlight())
                .returns(TypeInformation.of(DocumentSummary.class))
                .name("summarize").uid("summarize")
                .setParallelism(o.parallelism());
        summaries.sinkTo(new SummaryFileSink(Path.of(o.output()))).name("summaries-file").uid("summaries-file").setParallelism(1);
        return summaries;
    }
}
