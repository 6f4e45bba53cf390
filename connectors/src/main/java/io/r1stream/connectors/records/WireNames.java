package io.r1stream.connectors.records;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Lower-case JSON names for enums, with an error that lists the accepted values. */
final class WireNames {
    private WireNames() {}

    static <E extends Enum<E>> E parse(Class<E> type, String value) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().toLowerCase(Locale.ROOT).equals(value)) {
                return constant;
            }
        }
        String accepted = Arrays.stream(type.getEnumConstants())
                .map(c -> c.name().toLowerCase(Locale.ROOT))
                .collect(Collectors.joining(", "));
        throw new IllegalArgumentException(
                "unknown " + type.getSimpleName() + " '" + value + "'; use one of: " + accepted);
    }
}
