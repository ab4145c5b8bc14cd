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
