package dev.oxbow.cli.postgres;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** A plain aligned text table of list items; each column reads one JSON pointer, e.g. /status/current_state. */
record Table(List<String> headers, List<String> pointers) {

    static Table of(String... headerPointerPairs) {
        List<String> h = new ArrayList<>();
        List<String> p = new ArrayList<>();
        for (int i = 0; i < headerPointerPairs.length; i += 2) {
            h.add(headerPointerPairs[i]);
            p.add(headerPointerPairs[i + 1]);
        }
        return new Table(h, p);
    }

    String render(List<JsonNode> items) {
        List<List<String>> rows = new ArrayList<>();
        rows.add(headers);
        for (JsonNode item : items) {
            rows.add(pointers.stream().map(p -> {
                JsonNode v = item.at(p);
                return v.isMissingNode() || v.isNull() ? "" : v.isValueNode() ? v.asText() : v.toString();
            }).toList());
        }
        int[] widths = new int[headers.size()];
        for (List<String> row : rows) {
            for (int i = 0; i < row.size(); i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.size(); i++) {
                line.append(i == row.size() - 1 ? row.get(i) : String.format("%-" + (widths[i] + 2) + "s", row.get(i)));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }
}
