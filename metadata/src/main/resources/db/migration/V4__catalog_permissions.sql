-- Who may sync from which source catalog (--catalog NAME=DIR); admins grant it, like project permissions.
CREATE TABLE catalog_permissions (
    catalog        TEXT NOT NULL,
    principal_kind TEXT NOT NULL,
    principal      TEXT NOT NULL,
    level          TEXT NOT NULL,
    PRIMARY KEY (catalog, principal_kind, principal)
);
