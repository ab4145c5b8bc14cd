package dev.oxbow.metadata;

/**
 * A grant on a project. {@code principalKind} is USER (principal = user name), SERVICE_PRINCIPAL
 * (application id) or GROUP (display name); {@code level} is CAN_USE or CAN_MANAGE.
 */
public record Permission(String projectId, String principalKind, String principal, String level) {}
