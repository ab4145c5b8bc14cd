package dev.oxbow.controlplane.identity;

import dev.oxbow.controlplane.resource.ApiException;
import dev.oxbow.controlplane.testing.Fixture;
import dev.oxbow.metadata.Permission;
import dev.oxbow.metadata.User;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PermissionServiceTest {
    @TempDir
    Path dir;
    private Fixture f;

    private PermissionService service() {
        f = new Fixture(dir);
        f.store.identities().insertUser(new User("u1", "alice@example.com", "Alice", false, true, f.clock.instant()));
        f.store.identities().insertUser(new User("u2", "bob@example.com", "Bob", false, true, f.clock.instant()));
        return new PermissionService(f.store);
    }

    @AfterEach
    void close() {
        if (f != null) {
            f.close();
        }
    }

    @Test
    void grantsAddOrReplace() {
        PermissionService permissions = service();
        Permission alice = new Permission("p1", Principal.USER, "alice@example.com", "CAN_USE");
        Permission bob = new Permission("p1", Principal.USER, "bob@example.com", "CAN_MANAGE");
        permissions.grantOnProject("p1", List.of(alice), false);
        permissions.grantOnProject("p1", List.of(bob), false);
        assertThat(permissions.projectGrants("p1")).containsExactlyInAnyOrder(alice, bob);
        permissions.grantOnProject("p1", List.of(bob), true);
        assertThat(permissions.projectGrants("p1")).containsExactly(bob);
    }

    @Test
    void aGrantToSomeoneUnknownWritesNothing() {
        PermissionService permissions = service();
        Permission alice = new Permission("p1", Principal.USER, "alice@example.com", "CAN_USE");
        permissions.grantOnProject("p1", List.of(alice), false);
        assertThatThrownBy(() -> permissions.grantOnProject("p1",
                List.of(new Permission("p1", Principal.GROUP, "nobody", "CAN_USE")), true))
                .isInstanceOf(ApiException.class).hasMessageContaining("nobody");
        assertThat(permissions.projectGrants("p1")).as("the replace did not happen").containsExactly(alice);
    }
}
