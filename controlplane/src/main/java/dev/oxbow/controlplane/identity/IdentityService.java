package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.metadata.AccessToken;
import dev.oxbow.metadata.Group;
import dev.oxbow.metadata.ServicePrincipal;
import dev.oxbow.metadata.MetadataStore;
import dev.oxbow.metadata.Project;
import dev.oxbow.metadata.User;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Users and personal access tokens: the bootstrap admin, and who a bearer token belongs to. */
public final class IdentityService {
    private static final Logger log = LoggerFactory.getLogger(IdentityService.class);
    private final MetadataStore store;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();

    public IdentityService(MetadataStore store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    public List<User> users() {
        return store.identities().users();
    }

    public Optional<User> user(String id) {
        return store.identities().user(id);
    }

    public Optional<User> userByName(String userName) {
        return store.identities().userByName(userName);
    }

    public List<ServicePrincipal> servicePrincipals() {
        return store.identities().servicePrincipals();
    }

    public Optional<ServicePrincipal> servicePrincipal(String id) {
        return store.identities().servicePrincipal(id);
    }

    public Optional<ServicePrincipal> servicePrincipalByApplicationId(String applicationId) {
        return store.identities().servicePrincipalByApplicationId(applicationId);
    }

    public List<Group> groups() {
        return store.identities().groups();
    }

    public Optional<Group> group(String id) {
        return store.identities().group(id);
    }

    public Optional<Group> groupByName(String displayName) {
        return store.identities().groupByName(displayName);
    }

    /**
     * On first start creates the admin and a token, written to {@code tokenFile} readable only by its owner.
     * Returns true if it did.
     */
    public boolean bootstrap(String adminUserName, Path tokenFile) throws IOException {
        if (!store.identities().users().isEmpty()) {
            return false;
        }
        User admin = new User(Long.toString(1_000_000_000L + random.nextInt(1_000_000_000)), adminUserName, "Oxbow admin",
                true, true, clock.instant());
        String token = newToken();
        Files.createDirectories(tokenFile.toAbsolutePath().getParent());
        Path tmp = tokenFile.resolveSibling(tokenFile.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, token + "\n", StandardCharsets.UTF_8, StandardOpenOption.TRUNCATE_EXISTING);
        store.transaction(() -> {
            store.identities().insertUser(admin);
            store.identities().insertToken(new AccessToken(UUID.randomUUID().toString(), admin.id(), hash(token),
                    "bootstrap admin token", clock.instant(), null));
        });
        Files.move(tmp, tokenFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        log.info("admin created user={} token_file={}", adminUserName, tokenFile.toAbsolutePath());
        return true;
    }

    /** The active identity a bearer token belongs to; expired or revoked tokens find nobody. */
    public Optional<Principal> authenticate(String token) {
        if (token == null || token.isBlank()) {
            return Optional.empty();
        }
        return store.identities().tokenByHash(hash(token.strip()))
                .filter(t -> t.expireTime() == null || t.expireTime().isAfter(clock.instant()))
                .flatMap(t -> principal(t.userId()));
    }

    /** When a personal access token expires (null: never, or no such token); read beside {@link #authenticate} by caches. */
    public java.time.Instant expiryOf(String token) {
        return store.identities().tokenByHash(hash(token.strip())).map(t -> t.expireTime()).orElse(null);
    }

    /** The active user or service principal with this id. */
    public Optional<Principal> principal(String id) {
        Optional<Principal> user = store.identities().user(id).filter(User::active)
                .map(u -> new Principal(Principal.USER, u.id(), u.userName(), u.displayName(), u.admin()));
        if (user.isPresent()) {
            return user;
        }
        return store.identities().servicePrincipal(id).filter(ServicePrincipal::active)
                .map(sp -> new Principal(Principal.SERVICE_PRINCIPAL, sp.id(), sp.applicationId(), sp.displayName(), false));
    }

    /**
     * An active identity behind a Postgres role name, and when it was created: a database credential issued before then
     * was issued to a deleted namesake.
     */
    public record RoleHolder(Principal principal, java.time.Instant createTime) {}

    /** The active identity whose Postgres role name is {@code name} (a user's e-mail or an application id), read once. */
    public Optional<RoleHolder> byRoleName(String name) {
        Optional<User> user = store.identities().userByName(name);
        if (user.isPresent()) {
            // a user holds the name even while deactivated: no service principal of the same name stands in
            return user.filter(User::active)
                    .map(u -> new RoleHolder(new Principal(Principal.USER, u.id(), u.userName(), u.displayName(), u.admin()), u.createTime()));
        }
        return store.identities().servicePrincipalByApplicationId(name).filter(ServicePrincipal::active)
                .map(sp -> new RoleHolder(new Principal(Principal.SERVICE_PRINCIPAL, sp.id(), sp.applicationId(), sp.displayName(), false),
                        sp.createTime()));
    }

    // --- users, service principals, groups (admin only; checked by the caller) ---

    public User createUser(String userName, String displayName, boolean admin) {
        if (userName == null || !userName.matches("[^@\\s]+@[^@\\s]+")) {
            throw ApiException.invalid("Field userName must be an e-mail address, got '" + userName + "'.");
        }
        if (store.identities().userByName(userName).isPresent()) {
            throw new ApiException(409, "RESOURCE_ALREADY_EXISTS", "User with userName " + userName + " already exists.");
        }
        User user = new User(newId(), userName, displayName == null ? userName : displayName, admin, true, clock.instant());
        store.identities().insertUser(user);
        return user;
    }

    public User setUserActive(String id, boolean active) {
        User u = store.identities().user(id).orElseThrow(() -> ApiException.notFound("user", id));
        User updated = new User(u.id(), u.userName(), u.displayName(), u.admin(), active, u.createTime());
        store.identities().putUser(updated);
        return updated;
    }

    /**
     * Deletes the user, their tokens, group memberships and grants; projects they owned keep no owner (admins manage
     * them). A new user with the same e-mail is a different person and inherits none of it.
     */
    public void deleteUser(String id) {
        store.transaction(() -> {
            User user = store.identities().user(id).orElseThrow(() -> ApiException.notFound("user", id));
            store.identities().deleteUser(id);
            removeFromGroups(id);
            forgetPrincipal(Principal.USER, user.userName());
        });
    }

    private void forgetPrincipal(String kind, String name) {
        store.permissions().deletePrincipal(kind, name);
        for (Project p : store.projects().all()) {
            if (name.equals(p.owner())) {
                store.projects().put(p.withOwner(null));
            }
        }
    }

    public ServicePrincipal createServicePrincipal(String applicationId, String displayName) {
        String appId = applicationId == null || applicationId.isBlank() ? UUID.randomUUID().toString() : applicationId;
        if (store.identities().servicePrincipalByApplicationId(appId).isPresent()) {
            throw new ApiException(409, "RESOURCE_ALREADY_EXISTS", "Service principal with applicationId " + appId + " already exists.");
        }
        ServicePrincipal sp = new ServicePrincipal(newId(), appId, displayName == null ? appId : displayName, true, clock.instant());
        store.identities().insertServicePrincipal(sp);
        return sp;
    }

    public void deleteServicePrincipal(String id) {
        ServicePrincipal sp = store.identities().servicePrincipal(id).orElseThrow(() -> ApiException.notFound("service principal", id));
        store.identities().deleteServicePrincipal(id);
        forgetPrincipal(Principal.SERVICE_PRINCIPAL, sp.applicationId());
        removeFromGroups(id);
    }

    public Group createGroup(String displayName, List<String> memberIds) {
        if (displayName == null || displayName.isBlank()) {
            throw ApiException.required("displayName");
        }
        if (store.identities().groupByName(displayName).isPresent()) {
            throw new ApiException(409, "RESOURCE_ALREADY_EXISTS", "Group " + displayName + " already exists.");
        }
        checkMembers(memberIds);
        Group g = new Group(newId(), displayName, memberIds, clock.instant());
        store.identities().putGroup(g);
        return g;
    }

    public Group changeMembers(String groupId, List<String> add, List<String> remove) {
        Group g = store.identities().group(groupId).orElseThrow(() -> ApiException.notFound("group", groupId));
        checkMembers(add);
        java.util.LinkedHashSet<String> members = new java.util.LinkedHashSet<>(g.memberIds());
        members.addAll(add);
        members.removeAll(remove);
        Group updated = new Group(g.id(), g.displayName(), List.copyOf(members), g.createTime());
        store.identities().putGroup(updated);
        return updated;
    }

    public void deleteGroup(String id) {
        Group g = store.identities().group(id).orElseThrow(() -> ApiException.notFound("group", id));
        store.identities().deleteGroup(id);
        store.permissions().deletePrincipal(Principal.GROUP, g.displayName());
    }

    private void checkMembers(List<String> ids) {
        for (String id : ids) {
            if (store.identities().user(id).isEmpty() && store.identities().servicePrincipal(id).isEmpty()) {
                throw ApiException.invalid("Group member " + id + " is neither a user nor a service principal.");
            }
        }
    }

    private void removeFromGroups(String memberId) {
        for (Group g : store.identities().groups()) {
            if (g.memberIds().contains(memberId)) {
                changeMembers(g.id(), List.of(), List.of(memberId));
            }
        }
    }

    // --- personal access tokens ---

    public record CreatedToken(String value, AccessToken info) {}

    /** A new token for {@code ownerId}; lifetime null or 0 means it never expires. */
    public CreatedToken createToken(String ownerId, Long lifetimeSeconds, String comment) {
        if (lifetimeSeconds != null && lifetimeSeconds < 0) {
            throw ApiException.invalid("Field lifetime_seconds must not be negative.");
        }
        String value = newToken();
        var now = clock.instant();
        AccessToken t = new AccessToken(UUID.randomUUID().toString(), ownerId, hash(value), comment, now,
                lifetimeSeconds == null || lifetimeSeconds == 0 ? null : now.plusSeconds(lifetimeSeconds));
        store.identities().insertToken(t);
        return new CreatedToken(value, t);
    }

    public List<AccessToken> tokens(String ownerId) {
        return store.identities().tokensOf(ownerId);
    }

    /** Revokes one of the owner's tokens (admins may revoke anyone's). */
    public void revokeToken(Principal caller, String tokenId) {
        AccessToken t = store.identities().token(tokenId).orElseThrow(() -> ApiException.notFound("token", tokenId));
        if (!caller.admin() && !t.userId().equals(caller.id())) {
            throw ApiException.notFound("token", tokenId);
        }
        store.identities().deleteToken(tokenId);
    }

    private String newId() {
        return Long.toString(1_000_000_000_000L + (random.nextLong() & Long.MAX_VALUE) % 8_999_999_999_999L);
    }

    private String newToken() {
        byte[] bytes = new byte[20];
        random.nextBytes(bytes);
        return "dapi" + HexFormat.of().formatHex(bytes);
    }

    static String hash(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
