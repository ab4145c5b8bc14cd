package dev.oxbow.dataapi;

import java.util.ArrayList;
import java.util.List;

/** {@code order=age.desc.nullslast,name}: columns with direction and where nulls go. */
record Order(String column, boolean descending, Boolean nullsFirst) {
    static List<Order> parse(String order) {
        if (order == null || order.isBlank()) {
            return List.of();
        }
        List<Order> out = new ArrayList<>();
        for (String item : FilterParser.split(order)) {
            String[] parts = item.strip().split("\\.");
            boolean desc = false;
            Boolean nullsFirst = null;
            for (int i = 1; i < parts.length; i++) {
                switch (parts[i]) {
                    case "asc" -> desc = false;
                    case "desc" -> desc = true;
                    case "nullsfirst" -> nullsFirst = true;
                    case "nullslast" -> nullsFirst = false;
                    default -> throw PostgrestException.parse("\"failed to parse order (" + order + ")\"",
                            "expected column[.asc|.desc][.nullsfirst|.nullslast]");
                }
            }
            if (parts.length == 0 || parts[0].isEmpty()) {
                throw PostgrestException.parse("\"failed to parse order (" + order + ")\"", "empty column");
            }
            out.add(new Order(parts[0], desc, nullsFirst));
        }
        return List.copyOf(out);
    }
}
