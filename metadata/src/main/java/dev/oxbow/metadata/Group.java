package dev.oxbow.metadata;

import java.time.Instant;
import java.util.List;

/** A set of users and service principals (member ids); permissions granted to a group apply to its members. */
public record Group(String id, String displayName, List<String> memberIds, Instant createTime) {
    public Group {
        memberIds = memberIds == null ? List.of() : List.copyOf(memberIds);
    }
}
