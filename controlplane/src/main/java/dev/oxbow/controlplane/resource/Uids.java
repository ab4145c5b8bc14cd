package dev.oxbow.controlplane.resource;

import java.security.SecureRandom;
import java.util.List;

/** Resource uids in Lakebase's style ({@code br-quiet-river-a1b2c3d4}); DNS-safe, so endpoint uids can be host names. */
public final class Uids {
    private static final List<String> ADJECTIVES = List.of("amber", "bold", "calm", "crisp", "dawn", "deep", "eager",
            "fair", "fresh", "gentle", "green", "hidden", "keen", "late", "lively", "lucky", "misty", "noble", "plain",
            "proud", "quiet", "rapid", "silent", "sharp", "snowy", "solid", "still", "sunny", "swift", "wild");
    private static final List<String> NOUNS = List.of("brook", "butterfly", "canyon", "cedar", "cloud", "delta", "dune",
            "field", "fjord", "forest", "frost", "glade", "grove", "harbor", "heron", "island", "lake", "meadow", "mesa",
            "oak", "otter", "pine", "prairie", "reef", "ridge", "river", "shore", "sparrow", "stream", "willow");
    private static final char[] ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private final SecureRandom random = new SecureRandom();

    public String project() { return next("proj"); }
    public String branch() { return next("br"); }
    public String endpoint() { return next("ep"); }

    public String suffix(int length) {
        StringBuilder sb = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            sb.append(ALNUM[random.nextInt(ALNUM.length)]);
        }
        return sb.toString();
    }

    private String next(String prefix) {
        return prefix + "-" + ADJECTIVES.get(random.nextInt(ADJECTIVES.size())) + "-"
                + NOUNS.get(random.nextInt(NOUNS.size())) + "-" + suffix(8);
    }
}
