package dev.oxbow.cli.postgres;

/** Resource names as users type them: "my-app" is accepted for "projects/my-app"; anything else passes as given. */
final class Names {
    private Names() {}

    static String project(String name) {
        return name.startsWith("projects/") ? name : "projects/" + name;
    }
}
