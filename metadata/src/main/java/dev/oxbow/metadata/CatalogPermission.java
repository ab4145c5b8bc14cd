package dev.oxbow.metadata;

/**
 * A grant on a source catalog of synced tables. {@code principalKind} is USER, SERVICE_PRINCIPAL or GROUP as for
 * {@link Permission}; {@code level} is CAN_USE (may sync from the catalog's tables).
 */
public record CatalogPermission(String catalog, String principalKind, String principal, String level) {}
