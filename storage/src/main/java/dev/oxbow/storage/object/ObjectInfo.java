package dev.oxbow.storage.object;

import java.time.Instant;

/** One object in a listing: its full key (without the store's own prefix), its size and when it was written. */
public record ObjectInfo(String key, long size, Instant lastModified) {}
