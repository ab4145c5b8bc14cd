package dev.oxbow.metadata;

import java.util.List;
import java.util.Optional;

/** Users and their personal access tokens (hashes only). */
public final class IdentityTables {
    private final SqliteDatabase db;
    private final RecordJson json;

    IdentityTables(SqliteDatabase db, RecordJson json) {
        this.db = db;
        this.json = json;
    }

    public void insertUser(User user) {
        db.update("INSERT INTO users (id, user_name, body) VALUES (?, ?, ?)", user.id(), user.userName(), json.write(user));
    }

    public Optional<User> user(String id) {
        return first(db.query("SELECT body FROM users WHERE id = ?", 1, id), User.class);
    }

    public Optional<User> userByName(String userName) {
        return first(db.query("SELECT body FROM users WHERE user_name = ?", 1, userName), User.class);
    }

    public List<User> users() {
        return db.query("SELECT body FROM users ORDER BY rowid", 1).stream().map(r -> json.read(r[0], User.class)).toList();
    }

    public void putUser(User user) {
        db.update("UPDATE users SET body = ? WHERE id = ?", json.write(user), user.id());
    }

    public boolean deleteUser(String id) {
        db.update("DELETE FROM access_tokens WHERE user_id = ?", id);
        return db.update("DELETE FROM users WHERE id = ?", id) > 0;
    }

    public void insertServicePrincipal(ServicePrincipal sp) {
        db.update("INSERT INTO service_principals (id, application_id, body) VALUES (?, ?, ?)", sp.id(), sp.applicationId(), json.write(sp));
    }

    public Optional<ServicePrincipal> servicePrincipal(String id) {
        return first(db.query("SELECT body FROM service_principals WHERE id = ?", 1, id), ServicePrincipal.class);
    }

    public Optional<ServicePrincipal> servicePrincipalByApplicationId(String applicationId) {
        return first(db.query("SELECT body FROM service_principals WHERE application_id = ?", 1, applicationId), ServicePrincipal.class);
    }

    public List<ServicePrincipal> servicePrincipals() {
        return db.query("SELECT body FROM service_principals ORDER BY rowid", 1).stream()
                .map(r -> json.read(r[0], ServicePrincipal.class)).toList();
    }

    public boolean deleteServicePrincipal(String id) {
        db.update("DELETE FROM access_tokens WHERE user_id = ?", id);
        return db.update("DELETE FROM service_principals WHERE id = ?", id) > 0;
    }

    public void putGroup(Group group) {
        int n = db.update("UPDATE groups SET display_name = ?, body = ? WHERE id = ?", group.displayName(), json.write(group), group.id());
        if (n == 0) {
            db.update("INSERT INTO groups (id, display_name, body) VALUES (?, ?, ?)", group.id(), group.displayName(), json.write(group));
        }
    }

    public Optional<Group> group(String id) {
        return first(db.query("SELECT body FROM groups WHERE id = ?", 1, id), Group.class);
    }

    public Optional<Group> groupByName(String displayName) {
        return first(db.query("SELECT body FROM groups WHERE display_name = ?", 1, displayName), Group.class);
    }

    public List<Group> groups() {
        return db.query("SELECT body FROM groups ORDER BY rowid", 1).stream().map(r -> json.read(r[0], Group.class)).toList();
    }

    public boolean deleteGroup(String id) {
        return db.update("DELETE FROM groups WHERE id = ?", id) > 0;
    }

    public List<AccessToken> tokensOf(String userId) {
        return db.query("SELECT body FROM access_tokens WHERE user_id = ? ORDER BY rowid", 1, userId).stream()
                .map(r -> json.read(r[0], AccessToken.class)).toList();
    }

    public Optional<AccessToken> token(String id) {
        return first(db.query("SELECT body FROM access_tokens WHERE id = ?", 1, id), AccessToken.class);
    }

    public void insertToken(AccessToken token) {
        db.update("INSERT INTO access_tokens (id, user_id, token_hash, body) VALUES (?, ?, ?, ?)",
                token.id(), token.userId(), token.tokenHash(), json.write(token));
    }

    public Optional<AccessToken> tokenByHash(String hash) {
        return first(db.query("SELECT body FROM access_tokens WHERE token_hash = ?", 1, hash), AccessToken.class);
    }

    public boolean deleteToken(String id) {
        return db.update("DELETE FROM access_tokens WHERE id = ?", id) > 0;
    }

    private <T> Optional<T> first(List<String[]> rows, Class<T> type) {
        return rows.isEmpty() ? Optional.empty() : Optional.of(json.read(rows.get(0)[0], type));
    }
}
