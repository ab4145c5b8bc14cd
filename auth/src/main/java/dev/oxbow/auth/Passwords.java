package dev.oxbow.auth;

import java.security.SecureRandom;

/** Generated database passwords: alphanumeric so they survive connection strings, shells and URLs unquoted. */
public final class Passwords {
    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    /** 24 characters of 62 give 142 bits of entropy, well past the 60 bits needed against online guessing. */
    static final int LENGTH = 24;

    private Passwords() {}

    public static String generate() {
        SecureRandom random = new SecureRandom();
        StringBuilder password = new StringBuilder(LENGTH);
        for (int i = 0; i < LENGTH; i++) {
            password.append(ALPHABET.charAt(random.nextInt(ALPHABET.length()))); // nextInt(bound) has no modulo bias
        }
        return password.toString();
    }
}
