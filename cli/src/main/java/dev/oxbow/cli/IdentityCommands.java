package dev.oxbow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.oxbow.client.Durations;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** Identity commands: thin wrappers over the SCIM, token and permissions APIs; each prints the API's JSON. */
final class IdentityCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private IdentityCommands() {}

    /** Runs one API call and prints its JSON answer. */
    abstract static class ApiCall implements Callable<Integer> {
        @Spec CommandSpec spec;

        abstract JsonNode call(ApiTarget api) throws Exception;

        @Override
        public Integer call() throws Exception {
            JsonNode out = call(ApiTarget.of(CliEnvironment.of(spec)));
            spec.commandLine().getOut().println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(out));
            return 0;
        }
    }

    static ObjectNode json() {
        return JSON.createObjectNode();
    }

    @Command(name = "users", mixinStandardHelpOptions = true, description = "Workspace users (SCIM).",
            subcommands = {Users.List.class, Users.Create.class, Users.Deactivate.class, Users.Delete.class})
    static final class Users {
        @Command(name = "list", description = "List users.")
        static final class List extends ApiCall {
            JsonNode call(ApiTarget api) throws Exception { return api.call("GET", "/api/2.0/preview/scim/v2/Users", null); }
        }

        @Command(name = "create", description = "Create a user (admins only).")
        static final class Create extends ApiCall {
            @Parameters(index = "0", description = "E-mail address (the user name and Postgres role name).") String userName;
            @Option(names = "--display-name") String displayName;
            JsonNode call(ApiTarget api) throws Exception {
                ObjectNode b = json().put("userName", userName);
                if (displayName != null) {
                    b.put("displayName", displayName);
                }
                return api.call("POST", "/api/2.0/preview/scim/v2/Users", b.toString());
            }
        }

        @Command(name = "deactivate", description = "Deactivate a user: its tokens and roles stop working.")
        static final class Deactivate extends ApiCall {
            @Parameters(index = "0", description = "User id.") String id;
            JsonNode call(ApiTarget api) throws Exception {
                return api.call("PATCH", "/api/2.0/preview/scim/v2/Users/" + id,
                        "{\"Operations\":[{\"op\":\"replace\",\"path\":\"active\",\"value\":false}]}");
            }
        }

        @Command(name = "delete", description = "Delete a user.")
        static final class Delete extends ApiCall {
            @Parameters(index = "0", description = "User id.") String id;
            JsonNode call(ApiTarget api) throws Exception { return api.call("DELETE", "/api/2.0/preview/scim/v2/Users/" + id, null); }
        }
    }

    @Command(name = "service-principals", mixinStandardHelpOptions = true, description = "Service principals (SCIM).",
            subcommands = {ServicePrincipals.List.class, ServicePrincipals.Create.class, ServicePrincipals.Delete.class})
    static final class ServicePrincipals {
        @Command(name = "list", description = "List service principals.")
        static final class List extends ApiCall {
            JsonNode call(ApiTarget api) throws Exception { return api.call("GET", "/api/2.0/preview/scim/v2/ServicePrincipals", null); }
        }

        @Command(name = "create", description = "Create a service principal (admins only).")
        static final class Create extends ApiCall {
            @Option(names = "--display-name") String displayName;
            @Option(names = "--application-id", description = "Default: a new UUID.") String applicationId;
            JsonNode call(ApiTarget api) throws Exception {
                ObjectNode b = json();
                if (displayName != null) {
                    b.put("displayName", displayName);
                }
                if (applicationId != null) {
                    b.put("applicationId", applicationId);
                }
                return api.call("POST", "/api/2.0/preview/scim/v2/ServicePrincipals", b.toString());
            }
        }

        @Command(name = "delete", description = "Delete a service principal.")
        static final class Delete extends ApiCall {
            @Parameters(index = "0", description = "Service principal id.") String id;
            JsonNode call(ApiTarget api) throws Exception { return api.call("DELETE", "/api/2.0/preview/scim/v2/ServicePrincipals/" + id, null); }
        }
    }

    @Command(name = "groups", mixinStandardHelpOptions = true, description = "Groups (SCIM).",
            subcommands = {Groups.List.class, Groups.Create.class, Groups.AddMember.class, Groups.RemoveMember.class, Groups.Delete.class})
    static final class Groups {
        @Command(name = "list", description = "List groups.")
        static final class List extends ApiCall {
            JsonNode call(ApiTarget api) throws Exception { return api.call("GET", "/api/2.0/preview/scim/v2/Groups", null); }
        }

        @Command(name = "create", description = "Create a group (admins only).")
        static final class Create extends ApiCall {
            @Parameters(index = "0") String displayName;
            @Option(names = "--member", description = "Member id (user or service principal); repeatable.") java.util.List<String> members = java.util.List.of();
            JsonNode call(ApiTarget api) throws Exception {
                ObjectNode b = json().put("displayName", displayName);
                var arr = b.putArray("members");
                members.forEach(m -> arr.addObject().put("value", m));
                return api.call("POST", "/api/2.0/preview/scim/v2/Groups", b.toString());
            }
        }

        @Command(name = "add-member", description = "Add a member to a group.")
        static final class AddMember extends ApiCall {
            @Parameters(index = "0", description = "Group id.") String group;
            @Parameters(index = "1", description = "Member id.") String member;
            JsonNode call(ApiTarget api) throws Exception { return patch(api, group, "add", member); }
        }

        @Command(name = "remove-member", description = "Remove a member from a group.")
        static final class RemoveMember extends ApiCall {
            @Parameters(index = "0", description = "Group id.") String group;
            @Parameters(index = "1", description = "Member id.") String member;
            JsonNode call(ApiTarget api) throws Exception { return patch(api, group, "remove", member); }
        }

        @Command(name = "delete", description = "Delete a group.")
        static final class Delete extends ApiCall {
            @Parameters(index = "0", description = "Group id.") String id;
            JsonNode call(ApiTarget api) throws Exception { return api.call("DELETE", "/api/2.0/preview/scim/v2/Groups/" + id, null); }
        }

        static JsonNode patch(ApiTarget api, String group, String op, String member) throws Exception {
            return api.call("PATCH", "/api/2.0/preview/scim/v2/Groups/" + group,
                    "{\"Operations\":[{\"op\":\"" + op + "\",\"path\":\"members\",\"value\":[{\"value\":\"" + member + "\"}]}]}");
        }
    }

    @Command(name = "tokens", mixinStandardHelpOptions = true, description = "Personal access tokens.",
            subcommands = {Tokens.Create.class, Tokens.List.class, Tokens.Revoke.class, Tokens.CreateFor.class})
    static final class Tokens {
        @Command(name = "create", description = "Create a token for yourself.")
        static final class Create extends ApiCall {
            @Option(names = "--lifetime", description = "e.g. 3600s, 90m, 24h, 7d (default: no expiry).") String lifetime;
            @Option(names = "--comment") String comment;
            JsonNode call(ApiTarget api) throws Exception { return api.call("POST", "/api/2.0/token/create", body(lifetime, comment).toString()); }
        }

        @Command(name = "list", description = "List your tokens.")
        static final class List extends ApiCall {
            JsonNode call(ApiTarget api) throws Exception { return api.call("GET", "/api/2.0/token/list", null); }
        }

        @Command(name = "revoke", description = "Revoke a token by id.")
        static final class Revoke extends ApiCall {
            @Parameters(index = "0") String tokenId;
            JsonNode call(ApiTarget api) throws Exception {
                return api.call("POST", "/api/2.0/token/delete", json().put("token_id", tokenId).toString());
            }
        }

        @Command(name = "create-for", description = "Create a token for a user (e-mail) or service principal (application id); admins only.")
        static final class CreateFor extends ApiCall {
            @Parameters(index = "0") String identity;
            @Option(names = "--lifetime") String lifetime;
            @Option(names = "--comment") String comment;
            JsonNode call(ApiTarget api) throws Exception {
                ObjectNode b = body(lifetime, comment).put(identity.contains("@") ? "user_name" : "application_id", identity);
                return api.call("POST", "/api/2.0/token-management/on-behalf-of/tokens", b.toString());
            }
        }

        static ObjectNode body(String lifetime, String comment) {
            ObjectNode b = json();
            if (lifetime != null) {
                b.put("lifetime_seconds", Durations.seconds(lifetime));
            }
            if (comment != null) {
                b.put("comment", comment);
            }
            return b;
        }
    }

    @Command(name = "permissions", mixinStandardHelpOptions = true, description = "Who may use or manage a project.",
            subcommands = {Permissions.Get.class, Permissions.Grant.class, Permissions.Set.class})
    static final class Permissions {
        @Command(name = "get", description = "Show a project's permissions.")
        static final class Get extends ApiCall {
            @Parameters(index = "0", description = "Project id.") String project;
            JsonNode call(ApiTarget api) throws Exception { return api.call("GET", "/api/2.0/permissions/database-projects/" + project, null); }
        }

        @Command(name = "grant", description = "Grant CAN_USE or CAN_MANAGE on a project to a user, service principal or group.")
        static final class Grant extends ApiCall {
            @Parameters(index = "0", description = "Project id.") String project;
            @Parameters(index = "1", description = "User e-mail, service principal application id, or group name.") String principal;
            @Parameters(index = "2", description = "CAN_USE or CAN_MANAGE.") String level;
            @Option(names = "--group", description = "The principal is a group.") boolean group;
            JsonNode call(ApiTarget api) throws Exception {
                String key = group ? "group_name" : principal.contains("@") ? "user_name" : "service_principal_name";
                ObjectNode b = json();
                b.putArray("access_control_list").addObject().put(key, principal).put("permission_level", level);
                return api.call("PATCH", "/api/2.0/permissions/database-projects/" + project, b.toString());
            }
        }

        @Command(name = "set", description = "Replace all grants with the given JSON access_control_list (empty revokes all).")
        static final class Set extends ApiCall {
            @Parameters(index = "0", description = "Project id.") String project;
            @Option(names = "--json", defaultValue = "{\"access_control_list\":[]}") String body;
            JsonNode call(ApiTarget api) throws Exception { return api.call("PUT", "/api/2.0/permissions/database-projects/" + project, body); }
        }
    }
}
