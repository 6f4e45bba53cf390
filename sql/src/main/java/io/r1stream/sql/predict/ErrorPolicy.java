package io.r1stream.sql.predict;

import java.util.Locale;

/** What ML_PREDICT does with a row it cannot answer (no prompt, too long, bad per-row parameter, engine error). */
public enum ErrorPolicy {
    /** The row fails the job, with a message naming the row's problem. */
    FAIL("fail"),
    /** The row is answered with {@code finish_reason = 'error'} and the reason in the {@code error} output column. */
    ERROR_COLUMN("error-column");

    private final String optionValue;

    ErrorPolicy(String optionValue) { this.optionValue = optionValue; }

    public String optionValue() { return optionValue; }

    public static ErrorPolicy parse(String value) {
        for (ErrorPolicy p : values()) if (p.optionValue.equals(value.trim().toLowerCase(Locale.ROOT))) return p;
        throw new IllegalArgumentException("option 'error-policy' = '" + value + "' is not one of 'fail', 'error-column'");
    }
}
