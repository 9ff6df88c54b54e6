package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Entries of {@code pg_restore --list}, names with spaces included, found by desc, schema and name. */
class ArchiveTocTests {

    @Test
    void findsAnEntryByItsDescSchemaAndNameEvenWhenNamesHoldSpaces() {
        ArchiveToc toc = ArchiveToc.parse("""
                ;
                ; Archive created at 2026-12-07 07:00:00 UTC
                215; 1259 16390 TABLE public orders alice
                216; 1259 16393 TABLE public order lines alice
                3310; 0 16390 TABLE DATA public orders alice
                220; 1259 16400 MATERIALIZED VIEW sales totals bob
                """);
        assertThat(toc.entries()).hasSize(4);
        assertThat(toc.hasTable("public", "orders")).isTrue();
        assertThat(toc.hasTable("public", "order lines")).isTrue();
        assertThat(toc.hasTable("public", "order")).as("a name is matched whole, up to a space").isTrue();
        assertThat(toc.hasTable("sales", "totals")).isTrue();
        assertThat(toc.has("TABLE DATA", "public", "orders")).isTrue();
        assertThat(toc.has("TABLE DATA", "public", "order lines")).as("its rows are not in the archive").isFalse();
        assertThat(toc.hasTable("public", "ord")).as("not a prefix of a word").isFalse();
        assertThat(toc.hasTable("other", "orders")).isFalse();
    }
}
