package dev.oxbow.compute;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class HugePagesTest {
    private static final String MEMINFO = """
            MemTotal:       24605804 kB
            AnonHugePages:         0 kB
            HugePages_Total:     360
            HugePages_Free:      300
            HugePages_Rsvd:       70
            HugePages_Surp:        0
            Hugepagesize:       2048 kB
            Hugetlb:          737280 kB
            """;

    @Test
    void readsThePoolFromMeminfo() {
        HugePages pool = HugePages.parse(MEMINFO).orElseThrow();
        assertThat(pool).isEqualTo(new HugePages(360, 300, 70, 2048));
        assertThat(pool.available()).as("free pages already promised to a mapping are not available").isEqualTo(230);
    }

    @Test
    void aMappingTakesWholePagesAndFitsOnlyInWhatIsLeft() {
        HugePages pool = new HugePages(100, 90, 0, 2048);
        assertThat(pool.pagesFor(178L << 20)).isEqualTo(89);
        assertThat(pool.pagesFor((178L << 20) + 1)).as("rounded up, as PostgreSQL rounds its shared memory").isEqualTo(90);
        assertThat(pool.fits(180L << 20)).isTrue();
        assertThat(pool.fits((180L << 20) + 1)).isFalse();
        assertThat(new HugePages(100, 90, 50, 2048).fits(180L << 20)).isFalse();
    }

    @Test
    void describesAnEmptyPoolAndAReservedOne() {
        assertThat(new HugePages(0, 0, 0, 2048).describe()).contains("none reserved").contains("scripts/setup");
        assertThat(new HugePages(360, 360, 0, 2048).describe()).contains("total=360", "free=360", "size_kb=2048", "computes_at_4cu_fitting=4");
    }

    @Test
    void meminfoWithoutHugePageLinesIsNoPool() {
        assertThat(HugePages.parse("MemTotal: 1 kB\nMemFree: 1 kB\n")).isEmpty();
        assertThat(HugePages.parse("HugePages_Total: 0\nHugePages_Free: 0\nHugepagesize: 0 kB\n")).isEmpty();
    }
}
