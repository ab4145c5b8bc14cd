package dev.oxbow.metadata;

/** A data API is CREATING until its operation checked the database, then READY (served). */
public enum DataApiState { CREATING, READY }
