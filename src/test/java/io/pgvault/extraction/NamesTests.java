package io.pgvault.extraction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgvault.api.InvalidRequestException;
import io.pgvault.backup.ArchiveToc;
import java.util.List;
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
    void aScratchDatabaseGetsEveryDefinitionButOnlyTheSelectedRowsAndForeignKeysApart() {
        ArchiveToc toc = ArchiveToc.parse("""
                ;
                ; Archive created at 2026-12-03 02:00:00 UTC
                ;
                215; 1262 16384 DATABASE - shop postgres
                216; 0 0 COMMENT - DATABASE shop postgres
                5; 2615 2200 SCHEMA - public pg_database_owner
                210; 1259 16390 TABLE public customers postgres
                211; 1259 16396 TABLE public orders postgres
                212; 1259 16395 SEQUENCE public orders_id_seq postgres
                3350; 0 16390 TABLE DATA public customers postgres
                3351; 0 16396 TABLE DATA public orders postgres
                3360; 0 0 SEQUENCE SET public orders_id_seq postgres
                3200; 2606 16400 CONSTRAINT public orders orders_pkey postgres
                3201; 2606 16402 FK CONSTRAINT public orders orders_customer_id_fkey postgres
                3202; 0 0 PUBLICATION - everything postgres
                """);
        ExtractionPlan orders = new ExtractionPlan("DUMP", null, null, true, null, null, null, List.of(), "shop",
                List.of(new Names.Qualified("public", "orders")), List.of(), "c", "shop", "x", false, true, false,
                false);
        String first = ExtractionHandler.scratchList(toc, orders, false);
        assertThat(first).contains("TABLE public customers", "TABLE public orders", "TABLE DATA public orders",
                "SEQUENCE SET", "CONSTRAINT public orders orders_pkey")
                .doesNotContain("TABLE DATA public customers", "DATABASE", "PUBLICATION", "FK CONSTRAINT");
        assertThat(ExtractionHandler.scratchList(toc, orders, true).strip())
                .isEqualTo("3201; 2606 16402 FK CONSTRAINT public orders orders_customer_id_fkey postgres");

        ExtractionPlan whole = new ExtractionPlan("DUMP", null, null, true, null, null, null, List.of(), "shop",
                List.of(), List.of(), "c", "copy", null, true, false, false, false);
        assertThat(ExtractionHandler.scratchList(toc, whole, false)).contains("TABLE DATA public customers",
                "FK CONSTRAINT").doesNotContain("DATABASE", "PUBLICATION");
        assertThat(ExtractionHandler.scratchList(toc, whole, true)).isEmpty();
        assertThat(toc.hasTable("public", "orders")).isTrue();
        assertThat(toc.hasTable("public", "order")).isFalse();
    }
}
