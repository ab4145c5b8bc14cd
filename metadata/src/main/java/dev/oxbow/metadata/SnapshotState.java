package dev.oxbow.metadata;

/** A project snapshot's state; the constant names are the wire values (current_state) and the stored JSON. */
public enum SnapshotState {
    CREATING, READY, DELETING
}
