package dev.oxbow.metadata;

import java.util.Locale;
import java.util.Optional;

/** What a masking rule does to its column on a masked branch; the wire form is the lower-case name. */
public enum MaskingAction {
    /** A fixed text ({@code REDACTED}, cut to the column's length). */
    REDACT,
    /** A keyed hash (HMAC-SHA-256 with the project's secret): equal inputs give equal outputs, so joins still match. */
    HASH,
    /** {@code user_<hash>@example.invalid}: the same keyed hash, in the shape of an e-mail address. */
    FAKE_EMAIL,
    /** SQL NULL. */
    NULL,
    /** Unchanged (says a column was reviewed and needs no masking). */
    KEEP;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<MaskingAction> fromWire(String s) {
        for (MaskingAction a : values()) {
            if (a.wire().equals(s)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }
}
