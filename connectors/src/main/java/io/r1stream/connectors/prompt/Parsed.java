package io.r1stream.connectors.prompt;

import io.r1stream.connectors.records.DeadLetter;
import io.r1stream.connectors.records.PromptRequest;

import java.util.Objects;

/**
 * What {@link PromptParser} made of one record: a valid {@link Ok prompt} or a {@link Rejected dead
 * letter}:
 *
 * <pre>{@code
 * Parsed parsed = parser.parse(raw);
 * if (parsed instanceof Parsed.Ok ok) {
 *     out.collect(ok.request());
 * } else if (parsed instanceof Parsed.Rejected rejected) {
 *     ctx.output(ParsePrompts.DEAD_LETTERS, rejected.deadLetter());
 * }
 * }</pre>
 */
public sealed interface Parsed permits Parsed.Ok, Parsed.Rejected {

    /** A prompt that passed every check, with defaults filled in. */
    record Ok(PromptRequest request) implements Parsed {
        public Ok {
            Objects.requireNonNull(request, "request");
        }
    }

    /** A record that cannot be processed, with the reason. */
    record Rejected(DeadLetter deadLetter) implements Parsed {
        public Rejected {
            Objects.requireNonNull(deadLetter, "deadLetter");
        }
    }
}
