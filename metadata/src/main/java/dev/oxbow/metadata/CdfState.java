package dev.oxbow.metadata;

/** The state of one table of a change feed (the API's CdfState; constant names are the wire strings). */
public enum CdfState {
    CDF_STATE_SNAPSHOTTING, CDF_STATE_STREAMING, CDF_STATE_SKIPPED, CDF_STATE_TERMINATED
}
