package dev.oxbow.controlplane.masking;

import dev.oxbow.controlplane.testing.ServiceFixture;
import dev.oxbow.metadata.Branch;
import dev.oxbow.metadata.BranchState;
import dev.oxbow.metadata.EndpointState;
import dev.oxbow.metadata.MaskingAction;
import dev.oxbow.metadata.MaskingPolicy;
import dev.oxbow.metadata.Project;
import dev.oxbow.controlplane.resource.Specs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

import static dev.oxbow.controlplane.testing.ApiErrors.invalid;
import static dev.oxbow.controlplane.testing.ApiErrors.refused;
import static org.assertj.core.api.Assertions.assertThat;

/** The rules' validation and storage, the masking SQL, and what branch create/restore/reset refuse for masked branches. */
class MaskingRulesTest {
    @TempDir
    Path dir;

    private ServiceFixture s;
    private MaskingRules rules;
    private Project project;
    private Branch production;

    @BeforeEach
    void setUp() {
        s = new ServiceFixture(dir);
        project = s.f.project("p1");
        production = s.f.rootBranch(project, "production");
        s.f.primary(project, production, 0.5, 4, 300, EndpointState.ACTIVE);
        rules = new MaskingRules(s.f.store, s.resources, s.f.clock);
    }

    @AfterEach
    void tearDown() {
        s.close();
    }

    private static MaskingRules.Requested rule(String column, String action) {
        return new MaskingRules.Requested("db", null, "users", column, action);
    }

    @Test
    void rulesAreValidatedAsAWholeAndNothingIsStoredWhenOneIsWrong() {
        MaskingPolicy first = rules.set("projects/p1", List.of(rule("email", "fake_email"), rule("Name", "redact")));
        assertThat(first.rules()).extracting(r -> r.schema() + "." + r.column() + "=" + r.action())
                .containsExactly("public.email=FAKE_EMAIL", "public.Name=REDACT");
        assertThat(first.keyHex()).hasSize(64);

        invalid(() -> rules.set("projects/p1", List.of(rule("email", "hash"), rule("name", "shuffle"))), "rules[1].action", "shuffle");
        invalid(() -> rules.set("projects/p1", List.of(rule("x".repeat(64), "hash"))), "rules[0].column", "63-byte");
        invalid(() -> rules.set("projects/p1", List.of(rule("a\u0000b", "hash"))), "rules[0].column", "control");
        invalid(() -> rules.set("projects/p1", List.of(new MaskingRules.Requested(null, null, "t", "c", "hash"))), "rules[0].database");
        invalid(() -> rules.set("projects/p1", List.of(rule("email", "hash"), rule("email", "null"))), "rules[1].column", "more than one");
        invalid(() -> rules.set("projects/p1", null), "rules");
        assertThat(rules.get("projects/p1").rules()).isEqualTo(first.rules());

        // the key is the project's for good: re-setting the rules keeps hashes stable across branches made before and after
        MaskingPolicy second = rules.set("projects/p1", List.of(rule("email", "hash")));
        assertThat(second.keyHex()).isEqualTo(first.keyHex());
        assertThat(rules.get("projects/p1").rules()).singleElement().extracting(r -> r.action()).isEqualTo(MaskingAction.HASH);
    }

    @Test
    void hashIsHmacSha256WithTheKeyOutsideTheStatementText() {
        byte[] key = HexFormat.of().parseHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
        var email = new MaskingSql.Column("e\"mail", MaskingSql.Family.STRING, "text", false, false);
        var id = new MaskingSql.Column("id", MaskingSql.Family.INT8, "bigint", true, false);
        var kept = new MaskingSql.Column("city", MaskingSql.Family.STRING, "text", false, false);
        MaskingSql.Statement st = MaskingSql.update("my schema", "users", List.of(email, id, kept),
                List.of(MaskingAction.FAKE_EMAIL, MaskingAction.HASH, MaskingAction.KEEP), key);
        assertThat(st.sql()).startsWith("UPDATE ONLY \"my schema\".\"users\" SET \"e\"\"mail\" = ").doesNotContain("city")
                .doesNotContain("00112233").doesNotContain("5c").contains("pg_catalog.sha256");
        assertThat(st.params()).hasSize(4);
        byte[][] pads = MaskingSql.pads(key);
        assertThat(st.params().get(0)).isEqualTo(pads[1]); // outer first, as in the text
        assertThat(st.params().get(1)).isEqualTo(pads[0]);
        // RFC 4231 test case 2 checks the Java HMAC the tests compare with
        assertThat(MaskingSql.hmacHex("Jefe".getBytes(), "what do ya want for nothing?"))
                .isEqualTo("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        assertThat(MaskingSql.update("s", "t", List.of(kept), List.of(MaskingAction.KEEP), key)).isNull();
    }

    @Test
    void actionsThatCannotApplyToAColumnAreNamed() {
        var notNull = new MaskingSql.Column("name", MaskingSql.Family.STRING, "text", true, false);
        var json = new MaskingSql.Column("doc", MaskingSql.Family.OTHER, "jsonb", false, false);
        var generated = new MaskingSql.Column("g", MaskingSql.Family.STRING, "text", false, true);
        assertThat(MaskingSql.refusal(notNull, MaskingAction.NULL)).contains("NOT NULL");
        assertThat(MaskingSql.refusal(json, MaskingAction.FAKE_EMAIL)).contains("text column");
        assertThat(MaskingSql.refusal(json, MaskingAction.HASH)).contains("jsonb");
        assertThat(MaskingSql.refusal(json, MaskingAction.NULL)).isNull();
        assertThat(MaskingSql.refusal(generated, MaskingAction.REDACT)).contains("generated");
        assertThat(MaskingSql.family("S", "citext")).isEqualTo(MaskingSql.Family.STRING);
        assertThat(MaskingSql.family("N", "int4")).isEqualTo(MaskingSql.Family.INT4);
        assertThat(MaskingSql.family("N", "numeric")).isEqualTo(MaskingSql.Family.OTHER);
    }

    private static Specs.BranchSpec from(String source) {
        return new Specs.BranchSpec(source, null, null, null, null, null, true);
    }

    @Test
    void maskedBranchesNeedRulesAndTheirChildrenCannotOptOut() {
        invalid(() -> s.branches.create("projects/p1", "dev", from(null), false, null, true), "spec.masked", "no masking rules");
        rules.set("projects/p1", List.of(rule("email", "hash")));
        s.branches.create("projects/p1", "dev", from(null), false, null, true);
        Branch dev = s.f.store.branches().get("projects/p1/branches/dev").orElseThrow();
        assertThat(dev.masked()).isTrue();
        assertThat(dev.maskingDone()).isFalse();
        // still being masked: nothing may branch from it yet
        refused(() -> s.branches.create("projects/p1", "early", from("dev"), false, null, null), 400, "INVALID_STATE", "still being masked");

        Branch masked = dev.toBuilder().state(BranchState.READY).pendingState(null).maskedLsn("0/5000000").maskedTime(s.f.clock.instant()).build();
        s.f.store.branches().put(masked);
        invalid(() -> s.branches.create("projects/p1", "plain", from("dev"), false, null, false), "spec.masked");
        s.branches.create("projects/p1", "child", from("dev"), false, null, null);
        Branch child = s.f.store.branches().get("projects/p1/branches/child").orElseThrow();
        assertThat(child.masked()).isTrue();
        assertThat(child.maskedLsn()).isEqualTo("0/5000000");

        // replace_existing adopts a branch only as it is: masking cannot be asked for after the fact, nor dropped
        invalid(() -> s.branches.create("projects/p1", "dev", from(null), true, null, false), "spec.masked", "fixed");
        s.branches.create("projects/p1", "dev", from(null), true, null, true);

        // dev's parent holds unmasked data: no reset to it
        s.f.store.branches().delete(child.name());
        refused(() -> s.branches.reset(dev.name()), 400, "BAD_REQUEST", "unmasked");
    }
}
