package dev.oxbow.controlplane.identity;

/**
 * Who is calling: a user (name = e-mail) or a service principal (name = application id). The name is also
 * the identity's Postgres role name.
 */
public record Principal(String kind, String id, String name, String displayName, boolean admin) {
    public static final String USER = "USER";
    public static final String SERVICE_PRINCIPAL = "SERVICE_PRINCIPAL";
    public static final String GROUP = "GROUP";
}
