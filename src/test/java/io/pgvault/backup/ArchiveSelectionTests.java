package io.pgvault.backup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Which entries of a real archive (pg_dump 15 of a range-partitioned table with a default partition, an index
 * and a primary key on it, a table with an owned sequence, an enum of another schema and a foreign key) restore
 * a selection whole, read from pg_restore's own listing and headers.
 */
class ArchiveSelectionTests {

    static ArchiveGraph graph() throws IOException {
        return ArchiveGraph.parse(resource("partitions.list"), resource("partitions-headers.sql"));
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = ArchiveSelectionTests.class.getResourceAsStream("/archives/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static List<String> items(ArchiveSelection.Result r) {
        return r.entries().stream().map(n -> n.desc() + " " + n.schema() + " " + n.name()).toList();
    }

    @Test
    void entriesHaveTheirNamesAndDependencies() throws IOException {
        ArchiveGraph g = graph();
        ArchiveGraph.Node fk = g.find("FK CONSTRAINT", "public", "orders orders_customer_id_fkey");
        assertThat(g.dependencies(fk)).extracting(ArchiveGraph.Node::name)
                .containsExactlyInAnyOrder("orders", "customers customers_pkey", "customers");
        assertThat(g.find("TABLE DATA", "public", "m_2")).isNotNull();
        assertThat(g.find("SCHEMA", null, "app")).isNotNull();
        assertThat(g.find("TYPE", "app", "mood").deps()).containsExactly(6);
    }

    @Test
    void aPartitionedTableTakesItsPartitionsIndexesConstraintsAttachEntriesAndRows() throws Exception {
        ArchiveGraph g = graph();
        ArchiveSelection.Result r = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "m"),
                g.find("TABLE", "public", "m_1"), g.find("TABLE", "public", "m_2")), true, true, refs -> Set.of());
        assertThat(items(r)).containsExactlyInAnyOrder("TABLE public m", "TABLE public m_1", "TABLE public m_2",
                "TABLE ATTACH public m_1", "TABLE ATTACH public m_2", "TABLE DATA public m_1", "TABLE DATA public m_2",
                "CONSTRAINT public m m_pkey", "CONSTRAINT public m_1 m_1_pkey", "CONSTRAINT public m_2 m_2_pkey",
                "INDEX public m_d", "INDEX public m_1_d_idx", "INDEX public m_2_d_idx",
                "INDEX ATTACH public m_1_d_idx", "INDEX ATTACH public m_1_pkey", "INDEX ATTACH public m_2_d_idx",
                "INDEX ATTACH public m_2_pkey");
        assertThat(r.list().lines().findFirst().orElseThrow()).startsWith("218; 1259 16660 TABLE public m ");
    }

    @Test
    void aPartitionAloneComesWithoutItsAttachEntries() throws Exception {
        ArchiveGraph g = graph();
        ArchiveSelection.Result r = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "m_1")), true, true,
                refs -> Set.copyOf(refs));
        assertThat(items(r)).containsExactlyInAnyOrder("TABLE public m_1", "TABLE DATA public m_1",
                "CONSTRAINT public m_1 m_1_pkey", "INDEX public m_1_d_idx");
        assertThat(r.missingTables()).isEmpty();
    }

    @Test
    void whatATableNeedsComesWhenTheDestinationLacksItAndForeignKeysToTablesLeftBehindStayOut() throws Exception {
        ArchiveGraph g = graph();
        ArchiveSelection.Result r = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "orders")), true,
                true, refs -> Set.copyOf(refs));
        assertThat(items(r)).containsExactlyInAnyOrder("SCHEMA null app", "TYPE app mood", "TABLE public orders",
                "SEQUENCE public orders_id_seq", "SEQUENCE OWNED BY public orders_id_seq", "DEFAULT public orders id",
                "TABLE DATA public orders", "SEQUENCE SET public orders_id_seq", "CONSTRAINT public orders orders_pkey");
        assertThat(r.broughtAlong()).containsExactly("type app.mood", "schema app");
        assertThat(r.droppedForeignKeys()).containsExactly("public.orders orders_customer_id_fkey");

        ArchiveSelection.Result there = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "orders"),
                g.find("TABLE", "public", "customers")), true, true, refs -> Set.of());
        assertThat(items(there)).contains("FK CONSTRAINT public orders orders_customer_id_fkey")
                .doesNotContain("TYPE app mood");
        assertThat(there.droppedForeignKeys()).isEmpty();
    }

    @Test
    void dataOnlyAndSchemaOnlyTakeTheirHalf() throws Exception {
        ArchiveGraph g = graph();
        ArchiveSelection.Result data = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "orders")), false,
                true, refs -> { throw new SQLException("not asked"); });
        assertThat(items(data)).containsExactlyInAnyOrder("TABLE DATA public orders",
                "SEQUENCE SET public orders_id_seq");
        ArchiveSelection.Result schema = ArchiveSelection.select(g, List.of(g.find("TABLE", "public", "m_2")), true,
                false, refs -> Set.of());
        assertThat(items(schema)).noneMatch(i -> i.startsWith("TABLE DATA"));
    }
}
