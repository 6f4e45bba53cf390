package io.r1stream.connectors.prompt;

import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;
import io.r1stream.connectors.records.RawRecord;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

import java.util.Objects;

/**
 * Parses raw {@code prompts} records: valid prompts go to the main output, everything else to the
 * {@link #DEAD_LETTERS} side output, so nothing is dropped silently.
 *
 * <pre>{@code
 * SingleOutputStreamOperator<PromptRequest> prompts = env
 *         .fromSource(KafkaTopology.promptSource(bootstrap, "prompts", "r1stream", OffsetsInitializer.earliest()),
 *                 WatermarkStrategy.noWatermarks(), "prompts")
 *         .process(new ParsePrompts(PromptLimits.defaults()))
 *         .name("parse-prompts");
 * prompts.getSideOutput(ParsePrompts.DEAD_LETTERS).sinkTo(deadLetterSink);
 * }</pre>
 *
 * <p>Counters (Flink metrics, in this operator's scope): {@value #PARSED_COUNTER} and
 * {@value #DEAD_LETTER_COUNTER}.
 */
public class ParsePrompts extends ProcessFunction<RawRecord, PromptRequest> {

    private static final long serialVersionUID = 1L;

    /** Side output for records that are not valid prompts. */
    public static final OutputTag<DeadLetter> DEAD_LETTERS =
            new OutputTag<>("prompt-dead-letters", TypeInformation.of(DeadLetter.class));

    /** Counter of records that became prompts. */
    public static final String PARSED_COUNTER = "r1stream_prompts_parsed_total";
    /** Counter of records sent to the dead-letter output. */
    public static final String DEAD_LETTER_COUNTER = "r1stream_prompts_dead_lettered_total";

    private final PromptLimits limits;
    private transient PromptParser parser;
    private transient Counter parsed;
    private transient Counter deadLettered;

    public ParsePrompts(PromptLimits limits) {
        this.limits = Objects.requireNonNull(limits, "limits");
    }

    @Override
    public void open(OpenContext openContext) {
        parser = new PromptParser(limits);
        parsed = getRuntimeContext().getMetricGroup().counter(PARSED_COUNTER);
        deadLettered = getRuntimeContext().getMetricGroup().counter(DEAD_LETTER_COUNTER);
    }

    @Override
    public void processElement(RawRecord record, Context ctx, Collector<PromptRequest> out) {
        Parsed result = parser.parse(record);
        if (result instanceof Parsed.Ok ok) {
            parsed.inc();
            out.collect(ok.request());
        } else if (result instanceof Parsed.Rejected rejected) {
            deadLettered.inc();
            ctx.output(DEAD_LETTERS, rejected.deadLetter());
        }
    }
}
