package dev.oxbow.metadata;

/** Anything stored under a hierarchical resource name such as {@code projects/p/branches/b}. */
public interface Resource {
    String name();

    /** The name of the resource this one lives under ({@code ""} for projects). */
    String parentName();
}
