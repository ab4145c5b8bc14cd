-- Identities beyond users: service principals and groups (users keep their table); project permissions;
-- and the audit log of every mutating call and every login.
CREATE TABLE service_principals (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE,
    body           TEXT NOT NULL
);

CREATE TABLE groups (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL UNIQUE,
    body         TEXT NOT NULL
);

CREATE TABLE project_permissions (
    project_id     TEXT NOT NULL,
    principal_kind TEXT NOT NULL,
    principal      TEXT NOT NULL,
    level          TEXT NOT NULL,
    PRIMARY KEY (project_id, principal_kind, principal)
);

CREATE TABLE audit_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    time     TEXT NOT NULL,
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    resource TEXT NOT NULL,
    outcome  TEXT NOT NULL,
    remote   TEXT,
    detail   TEXT
);
CREATE INDEX audit_by_resource ON audit_log (resource, seq);
