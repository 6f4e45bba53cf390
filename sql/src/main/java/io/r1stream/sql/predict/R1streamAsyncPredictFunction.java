package io.r1stream.sql.predict;

import io.r1stream.engine.EngineOptions;
import io.r1stream.engine.Engines;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.table.data.RowData;
import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.functions.FunctionContext;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The async ML_PREDICT function: created (and serialized into the job) at planning time, so the engine is only
 * acquired in {@link #open}: the TaskManager's shared engine for these options ({@link Engines#acquire}), loaded by
 * the first subtask to open and freed when the last one closes. Futures complete on the engine's thread; Flink's
 * async operator takes the rows back on the task thread.
 *
 * <p>Metrics of each subtask: counters {@value #ROWS} and {@value #ROWS_FAILED}; gauges of the shared engine
 * {@code r1stream_num_requests_running} and {@code r1stream_num_requests_waiting}.
 */
public final class R1streamAsyncPredictFunction extends AsyncPredictFunction {
    private static final long serialVersionUID = 1L;
    static final String ROWS = "r1stream_sql_rows_total";
    static final String ROWS_FAILED = "r1stream_sql_rows_failed_total";

    private final EngineOptions engineOptions;
    private final ModelOptions.Generation generation;
    private final InputColumns input;
    private final OutputColumns output;
    private final String modelName;

    private transient Engines.EngineHandle handle;
    private transient RowPredictor predictor;
    private transient Counter rows;
    private transient Counter rowsFailed;

    R1streamAsyncPredictFunction(EngineOptions engineOptions, ModelOptions.Generation generation, InputColumns input,
                                 OutputColumns output, String modelName) {
        this.engineOptions = engineOptions;
        this.generation = generation;
        this.input = input;
        this.output = output;
        this.modelName = modelName;
    }

    @Override
    public void open(FunctionContext context) throws Exception {
        super.open(context);
        handle = Engines.acquire(engineOptions);
        int subtask = context.getTaskInfo().getIndexOfThisSubtask();
        predictor = new RowPredictor(handle.engine(), handle.model(), input, output, generation,
                "sql-" + modelName + "-" + subtask + "-" + System.nanoTime() + "-");
        rows = context.getMetricGroup().counter(ROWS);
        rowsFailed = context.getMetricGroup().counter(ROWS_FAILED);
        context.getMetricGroup().gauge("r1stream_num_requests_running", (Gauge<Long>) handle.engine().metrics().running::get);
        context.getMetricGroup().gauge("r1stream_num_requests_waiting", (Gauge<Long>) handle.engine().metrics().waiting::get);
    }

    @Override
    public CompletableFuture<Collection<RowData>> asyncPredict(RowData row) {
        rows.inc();
        return predictor.predict(row).handle((r, e) -> {
            if (e != null || output.isError(r)) rowsFailed.inc();
            if (e != null) throw e instanceof java.util.concurrent.CompletionException ce ? ce : new java.util.concurrent.CompletionException(e);
            return List.of(r);
        });
    }

    @Override
    public void close() throws Exception {
        if (handle != null) handle.close();
        handle = null;
        super.close();
    }
}
