package dev.oxbow.metadata;

/** An endpoint's state; the constant names are the wire values (EndpointStatusState) and the stored JSON. */
public enum EndpointState {
    INIT, ACTIVE, IDLE, DEGRADED;

    /** A state in which the endpoint's server should be running (unless the endpoint is disabled). */
    public boolean wantsRunning() {
        return this != IDLE;
    }
}
