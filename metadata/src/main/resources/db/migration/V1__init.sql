-- Resources (projects, branches, endpoints, roles, databases) are records stored as JSON, addressed by
-- their hierarchical name; seq gives a stable creation order for pagination.
CREATE TABLE resources (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    parent TEXT NOT NULL,
    body   TEXT NOT NULL,
    UNIQUE (kind, name)
);
CREATE INDEX resources_by_parent ON resources (kind, parent, seq);

CREATE TABLE operations (
    name        TEXT PRIMARY KEY,
    project_id  TEXT,
    done        INTEGER NOT NULL,
    create_time TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX operations_by_done ON operations (done, create_time);

CREATE TABLE users (
    id        TEXT PRIMARY KEY,
    user_name TEXT NOT NULL UNIQUE,
    body      TEXT NOT NULL
);

CREATE TABLE access_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    body       TEXT NOT NULL
);
