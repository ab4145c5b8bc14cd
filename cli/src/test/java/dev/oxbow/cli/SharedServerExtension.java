package dev.oxbow.cli;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands tests a {@link SharedServer} parameter: started by the first test that asks, kept in the root context's store
 * so every class of the run gets the same one whatever the class order, and closed by JUnit once, when the run ends.
 */
final class SharedServerExtension implements ParameterResolver {
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SharedServerExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == SharedServer.class;
    }

    @Override
    public SharedServer resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedServer.class, key -> SharedServer.start(), SharedServer.class);
    }
}
