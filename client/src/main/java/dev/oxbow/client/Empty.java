package dev.oxbow.client;

/** The response of a finished delete or undelete operation. */
public record Empty() {}
