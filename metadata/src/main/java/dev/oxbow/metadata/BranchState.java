package dev.oxbow.metadata;

/** A branch's state; the constant names are the wire values (BranchStatusState) and the stored JSON. */
public enum BranchState {
    INIT, READY, RESETTING, IMPORTING, ARCHIVED, DELETED
}
