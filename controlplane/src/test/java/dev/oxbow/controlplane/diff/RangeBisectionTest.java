package dev.oxbow.controlplane.diff;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The bisection against in-memory tables (key → row hash) that count what the SQL side would read. */
class RangeBisectionTest {
    private static final RangeBisection BISECTION = new RangeBisection(16, 64);

    /** A table of long keys; counts the rows each kind of question touches and the rows it returns. */
    static final class MemorySide implements TableSide {
        final TreeMap<Long, Long> rows = new TreeMap<>();
        long rowsReturned;
        int questions;

        MemorySide fill(long from, long to) {
            for (long k = from; k < to; k++) {
                rows.put(k, k * 31);
            }
            return this;
        }

        private NavigableMap<Long, Long> in(KeyRange r) {
            NavigableMap<Long, Long> m = rows;
            if (r.low() != null) {
                m = m.tailMap(Long.parseLong(r.low().getFirst()), true);
            }
            if (r.high() != null) {
                m = m.headMap(Long.parseLong(r.high().getFirst()), false);
            }
            return m;
        }

        @Override
        public List<RangeSummary> summarize(KeyRange range, List<List<String>> points) {
            questions++;
            List<RangeSummary> out = new ArrayList<>();
            for (KeyRange part : range.split(points)) {
                long sum = 0;
                for (long h : in(part).values()) {
                    sum += h * 0x9E3779B97F4A7C15L;
                }
                out.add(new RangeSummary(in(part).size(), Long.toString(sum)));
            }
            rowsReturned += out.size();
            return out;
        }

        @Override
        public List<List<String>> splitPoints(KeyRange range, long count, int parts) {
            questions++;
            long step = (count + parts - 1) / parts;
            List<List<String>> out = new ArrayList<>();
            long i = 0;
            for (long k : in(range).keySet()) {
                if (++i % step == 0 && out.size() < parts - 1) {
                    out.add(List.of(Long.toString(k)));
                }
            }
            rowsReturned += out.size();
            return out;
        }

        @Override
        public Map<List<String>, Long> rowHashes(KeyRange range) {
            questions++;
            Map<List<String>, Long> out = new LinkedHashMap<>();
            in(range).forEach((k, v) -> out.put(List.of(Long.toString(k)), v));
            rowsReturned += out.size();
            return out;
        }
    }

    private static List<String> key(long k) {
        return List.of(Long.toString(k));
    }

    @Test
    void identicalTablesTakeOneQuestionEach() {
        MemorySide b = new MemorySide().fill(0, 100_000);
        MemorySide a = new MemorySide().fill(0, 100_000);
        RowChanges c = BISECTION.compare(b, a, 10);
        assertThat(c.total()).isZero();
        assertThat(c.rangesFetched()).isZero();
        assertThat(b.questions).isEqualTo(1);
        assertThat(a.questions).isEqualTo(1);
    }

    @Test
    void findsExactlyTheAddedRemovedAndChangedRowsReadingFewRows() {
        MemorySide b = new MemorySide().fill(0, 100_000);
        MemorySide a = new MemorySide().fill(0, 100_000);
        b.rows.put(100_000L, 1L);         // added at the end
        b.rows.put(-5L, 1L);              // added before every key of against
        b.rows.remove(50_000L);           // removed
        b.rows.put(77_777L, 42L);         // changed
        b.rows.put(3L, 42L);              // changed
        RowChanges c = BISECTION.compare(b, a, 10);
        assertThat(c.examples(RowChanges.Kind.ADDED)).containsExactly(key(-5), key(100_000));
        assertThat(c.examples(RowChanges.Kind.REMOVED)).containsExactly(key(50_000));
        assertThat(c.examples(RowChanges.Kind.CHANGED)).containsExactly(key(3), key(77_777));
        assertThat(c.total()).isEqualTo(5);
        // only the ranges around the five keys are read row by row: a few hundred rows, not 100,000
        assertThat(b.rowsReturned + a.rowsReturned).isLessThan(2_000);
    }

    @Test
    void aSideWithFarMoreRowsIsCutAtItsOwnKeys() {
        MemorySide b = new MemorySide().fill(0, 10);            // the branch deleted almost everything
        MemorySide a = new MemorySide().fill(0, 20_000);
        RowChanges c = BISECTION.compare(b, a, 3);
        assertThat(c.count(RowChanges.Kind.REMOVED)).isEqualTo(19_990);
        assertThat(c.count(RowChanges.Kind.ADDED)).isZero();
        assertThat(c.examples(RowChanges.Kind.REMOVED)).containsExactly(key(10), key(11), key(12));
        // every leaf read holds at most about leafRows of the larger side
        assertThat(c.rangesFetched()).isGreaterThan(19_990 / 64);
    }

    @Test
    void emptyAgainstFullAndEverythingChanged() {
        MemorySide full = new MemorySide().fill(0, 5_000);
        RowChanges added = BISECTION.compare(full, new MemorySide(), 2);
        assertThat(added.count(RowChanges.Kind.ADDED)).isEqualTo(5_000);
        assertThat(added.examples(RowChanges.Kind.ADDED)).containsExactly(key(0), key(1));
        MemorySide changed = new MemorySide().fill(0, 5_000);
        changed.rows.replaceAll((k, v) -> v + 1);
        RowChanges all = BISECTION.compare(changed, full, 0);
        assertThat(all.count(RowChanges.Kind.CHANGED)).isEqualTo(5_000);
        assertThat(all.examples(RowChanges.Kind.CHANGED)).isEmpty();
        assertThat(BISECTION.compare(new MemorySide(), new MemorySide(), 5).total()).isZero();
    }

    @Test
    void aRangeThatCannotBeCutIsReadWhole() {
        // a side that offers no split points (for example a single duplicate-free huge range the sampler cannot cut)
        MemorySide b = new MemorySide().fill(0, 1_000) ;
        MemorySide a = new MemorySide().fill(0, 1_000);
        a.rows.put(500L, 0L);
        TableSide uncuttable = new TableSide() {
            public List<RangeSummary> summarize(KeyRange r, List<List<String>> p) { return b.summarize(r, p); }
            public List<List<String>> splitPoints(KeyRange r, long rows, int parts) { return List.of(); }
            public Map<List<String>, Long> rowHashes(KeyRange r) { return b.rowHashes(r); }
        };
        RowChanges c = BISECTION.compare(uncuttable, a, 5);
        assertThat(c.examples(RowChanges.Kind.CHANGED)).containsExactly(key(500));
        assertThat(c.rangesFetched()).isEqualTo(1);
    }

    @Test
    void rangesSplitAtTheirPoints() {
        KeyRange r = new KeyRange(key(0), key(10));
        assertThat(r.split(List.of(key(3), key(6)))).containsExactly(
                new KeyRange(key(0), key(3)), new KeyRange(key(3), key(6)), new KeyRange(key(6), key(10)));
        assertThat(KeyRange.ALL.split(List.of())).containsExactly(KeyRange.ALL);
        assertThatThrownBy(() -> new RangeBisection(1, 10)).isInstanceOf(IllegalArgumentException.class);
    }
}
