package io.r1stream.sql.predict;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.table.catalog.ResolvedCatalogModel;
import org.apache.flink.table.factories.FactoryUtil;
import org.apache.flink.table.factories.ModelProviderFactory;
import org.apache.flink.table.ml.ModelProvider;

import java.util.Set;

/**
 * {@code CREATE MODEL m INPUT (prompt STRING) OUTPUT (content STRING, ...) WITH ('provider' = 'r1stream',
 * 'model-dir' = '...')}: found through Flink's {@code Factory} SPI
 * (META-INF/services/org.apache.flink.table.factories.Factory). Options: {@link ModelOptions}; columns:
 * {@link InputColumns}, {@link OutputColumns}. Everything is checked here, at planning time, so a wrong option or
 * column fails the statement with a message that names the fix instead of failing the running job.
 */
public final class R1streamModelProviderFactory implements ModelProviderFactory {
    public static final String IDENTIFIER = "r1stream";

    @Override
    public String factoryIdentifier() { return IDENTIFIER; }

    @Override
    public Set<ConfigOption<?>> requiredOptions() { return ModelOptions.required(); }

    @Override
    public Set<ConfigOption<?>> optionalOptions() { return ModelOptions.optional(); }

    @Override
    public ModelProvider createModelProvider(Context context) {
        FactoryUtil.ModelProviderFactoryHelper helper = FactoryUtil.createModelProviderFactoryHelper(this, context);
        helper.validate(); // unknown option keys are rejected with the list of known ones
        ResolvedCatalogModel model = context.getCatalogModel();
        Configuration options = Configuration.fromMap(model.getOptions());
        String name = context.getObjectIdentifier().getObjectName();
        try {
            ModelOptions.Generation generation = ModelOptions.generation(options);
            return new R1streamModelProvider(ModelOptions.engineOptions(options), generation,
                    InputColumns.of(model.getResolvedInputSchema()),
                    OutputColumns.of(model.getResolvedOutputSchema(), generation.errorPolicy()), name);
        } catch (IllegalArgumentException e) {
            throw new ValidationException("model " + context.getObjectIdentifier().asSummaryString() + " ('provider' = 'r1stream'): "
                    + e.getMessage(), e);
        }
    }
}
