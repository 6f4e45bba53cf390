package io.r1stream.sql.predict;

import io.r1stream.engine.EngineOptions;

import org.apache.flink.table.functions.AsyncPredictFunction;
import org.apache.flink.table.ml.AsyncPredictRuntimeProvider;
import org.apache.flink.table.ml.ModelProvider;

/**
 * What {@code 'provider' = 'r1stream'} gives the planner: an async predict function over the TaskManager's
 * shared engine. Async only: a synchronous function would hold the task thread for a whole generation and let
 * one row at a time reach the engine, which defeats batching.
 */
public final class R1streamModelProvider implements AsyncPredictRuntimeProvider {
    private final EngineOptions engineOptions;
    private final ModelOptions.Generation generation;
    private final InputColumns input;
    private final OutputColumns output;
    private final String modelName;

    R1streamModelProvider(EngineOptions engineOptions, ModelOptions.Generation generation, InputColumns input,
                          OutputColumns output, String modelName) {
        this.engineOptions = engineOptions;
        this.generation = generation;
        this.input = input;
        this.output = output;
        this.modelName = modelName;
    }

    public EngineOptions engineOptions() { return engineOptions; }

    @Override
    public AsyncPredictFunction createAsyncPredictFunction(ModelProvider.Context context) {
        return new R1streamAsyncPredictFunction(engineOptions, generation, input, output, modelName);
    }

    @Override
    public ModelProvider copy() {
        return new R1streamModelProvider(engineOptions, generation, input, output, modelName);
    }
}
