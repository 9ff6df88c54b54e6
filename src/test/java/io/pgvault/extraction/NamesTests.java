package io.pgvault.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.ArchiveGraph;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Names as requests give them, close matches, and the dump entries a scratch database gets. */
class NamesTests {

    @Test
    void tableNamesAreSchemaQualifiedAndKeepTheirCase() {
        assertThat(Names.table("tables", "orders")).isEqualTo(new Names.Qualified("public", "orders"));
        assertThat(Names.table("tables", "sales.Orders")).isEqualTo(new Names.Qualified("sales", "Orders"));
        assertThat(Names.table("tables", "\"my.schema\".\"a \"\"b\"\"\""))
                .isEqualTo(new Names.Qualified("my.schema", "a \"b\""));
        assertThat(new Names.Qualified("my.schema", "t").toString()).isEqualTo("\"my.schema\".t");
        assertThat(new Names.Qualified("s", "a\"b").sql()).isEqualTo("\"s\".\"a\"\"b\"");
    }

    @Test
    void malformedNamesAreRefused() {
        assertThatThrownBy(() -> Names.table("tables", "a.b.c")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("schema.table");
        assertThatThrownBy(() -> Names.table("tables", "\"open")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> Names.table("tables", "public.")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Names.schema("schemas", "a.b")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> Names.checkIdentifier("into.schema", "x".repeat(64)))
                .hasMessageContaining("1 to 63");
    }

    @Test
    void closeMatchesAreSuggested() {
        List<String> known = List.of("public.orders", "public.order_items", "public.customers");
        assertThat(Names.closest("public.ordrs", known)).first().isEqualTo("public.orders");
        assertThat(Names.didYouMean("public.ordrs", known)).startsWith("; did you mean public.orders");
        assertThat(Names.didYouMean("inventory.stock", known)).isEmpty();
    }

    @Test
    void aScratchDatabaseGetsEveryDefinitionThenTheChosenRowsThenTheirForeignKeys() throws Exception {
        ArchiveGraph g = ArchiveGraph.parse(resource("partitions.list"), resource("partitions-headers.sql"));
        Set<Names.Qualified> orders = Set.of(new Names.Qualified("public", "orders"));
        assertThat(ScratchList.definitions(g, false)).contains("TABLE public customers", "TABLE public m_1",
                "TYPE app mood", "ENCODING -").doesNotContain("DATABASE", "TABLE DATA");
        assertThat(ScratchList.rows(g, false, orders)).contains("TABLE DATA public orders", "SEQUENCE SET",
                "CONSTRAINT public orders orders_pkey").doesNotContain("TABLE DATA public customers", "FK CONSTRAINT");
        assertThat(ScratchList.keys(g, false, orders).strip())
                .isEqualTo("3237; 2606 16655 FK CONSTRAINT public orders orders_customer_id_fkey postgres");
        assertThat(ScratchList.keys(g, false, Set.of(new Names.Qualified("public", "customers")))).isEmpty();
        assertThat(ScratchList.rows(g, true, Set.of())).contains("TABLE DATA public customers", "FK CONSTRAINT");
        assertThat(ScratchList.keys(g, true, orders)).isEmpty();
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = NamesTests.class.getResourceAsStream("/archives/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
