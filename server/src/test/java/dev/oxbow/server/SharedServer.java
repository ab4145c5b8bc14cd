package dev.oxbow.server;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One Oxbow server for the test classes that only need "a server": {@code @ExtendWith(SharedServer.class)} and a
 * {@link TestServer} parameter on a {@code @BeforeAll} method. It starts on first use and is closed exactly once, by
 * JUnit, when the whole run ends (the root context's store owns it); no test class may close it. Classes keep apart by
 * using project ids of their own.
 */
final class SharedServer implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedServer.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestServer.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(Owned.class, key -> Owned.start(), Owned.class).server();
    }

    /** The shared server and its data directory, which go together. */
    private record Owned(TestServer server, Path home) implements ExtensionContext.Store.CloseableResource {
        static Owned start() {
            try {
                Path home = Files.createTempDirectory(TestHomes.TMP, "oxbow-shared-");
                return new Owned(TestServer.start(home), home);
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the shared test server", e);
            }
        }

        @Override
        public void close() {
            try {
                server.close();
            } finally {
                TestHomes.delete(home);
            }
        }
    }
}
