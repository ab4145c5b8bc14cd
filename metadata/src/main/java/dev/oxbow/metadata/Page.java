package dev.oxbow.metadata;

import java.util.List;

/** One page of a listing; {@code nextSeq} is where the next page starts, or 0 when there is none. */
public record Page<T>(List<T> items, long nextSeq) {}
