package dev.oxbow.auth;

import java.text.Normalizer;

/**
 * The part of SASLprep (RFC 4013) that PostgreSQL's pg_saslprep applies to passwords that is worth having here:
 * ASCII passwords pass through untouched, exactly as in PostgreSQL; others get non-ASCII spaces mapped to a space,
 * "commonly mapped to nothing" characters removed and NFKC normalisation. The prohibited-character and bidi checks
 * are skipped: where they would fail, PostgreSQL falls back to the raw password and so may we differ, but only for
 * passwords no one types (control or unassigned characters). Oxbow-generated passwords are ASCII.
 */
final class SaslPrep {
    private SaslPrep() {}

    static String prepare(String password) {
        if (password.chars().allMatch(c -> c < 0x80)) {
            return password;
        }
        StringBuilder mapped = new StringBuilder(password.length());
        password.codePoints().forEach(cp -> {
            if (isNonAsciiSpace(cp)) {
                mapped.append(' ');
            } else if (!isMappedToNothing(cp)) {
                mapped.appendCodePoint(cp);
            }
        });
        return Normalizer.normalize(mapped, Normalizer.Form.NFKC);
    }

    /** RFC 3454 table C.1.2. */
    private static boolean isNonAsciiSpace(int cp) {
        return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** RFC 3454 table B.1. */
    private static boolean isMappedToNothing(int cp) {
        return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D)
                || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F) || cp == 0xFEFF;
    }
}
