package io.pgvault.testing;

/** Deterministic fixtures to back up and compare after a restore. */
public final class Seed {

    private static final String[] LOGICAL_FIXTURE = {
        "CREATE SCHEMA sales",
        "CREATE SCHEMA \"Audit Log\"",
        """
        CREATE TABLE public.customers (id serial PRIMARY KEY, name text NOT NULL, created timestamptz NOT NULL)""",
        """
        INSERT INTO public.customers (name, created)
        SELECT 'customer ' || g, timestamptz '2024-01-01 00:00:00+00' + g * interval '37 minutes'
        FROM generate_series(1, 1000) g""",
        """
        CREATE TABLE sales.orders (id serial PRIMARY KEY,
            customer_id int NOT NULL REFERENCES public.customers (id),
            amount numeric(10, 2) NOT NULL, ordered_at timestamptz NOT NULL)""",
        """
        INSERT INTO sales.orders (customer_id, amount, ordered_at)
        SELECT g % 1000 + 1, (g * 7 % 10000) / 100.0, timestamptz '2024-02-01 12:00:00+00' + g * interval '1 hour'
        FROM generate_series(1, 5000) g""",
        """
        CREATE TABLE sales."OrderLines" (order_id int NOT NULL REFERENCES sales.orders (id), line int NOT NULL,
            "Product Name" text NOT NULL, quantity int, note text, PRIMARY KEY (order_id, line))""",
        """
        INSERT INTO sales."OrderLines"
        SELECT g / 3 + 1, g % 3 + 1,
            (ARRAY['Grüße aus Köln', '日本語の本', 'café crème', 'emoji 🐘 elephant', 'plain'])[g % 5 + 1],
            CASE WHEN g % 7 = 0 THEN NULL ELSE g % 12 + 1 END,
            CASE WHEN g % 4 = 0 THEN NULL ELSE 'note ' || g || E' with a \\t tab, a '' quote and a \\n newline' END
        FROM generate_series(0, 299) g""",
        "CREATE TABLE \"Audit Log\".events (id bigint PRIMARY KEY, payload jsonb)",
        """
        INSERT INTO "Audit Log".events
        SELECT g, CASE WHEN g % 10 = 0 THEN NULL
            ELSE jsonb_build_object('n', g, 'kind', 'order.placed', 'tags', jsonb_build_array('a', 'ü', g % 3)) END
        FROM generate_series(1, 200) g""",
        """
        CREATE VIEW sales.customer_totals AS
        SELECT c.id, c.name, count(o.id) AS orders, coalesce(sum(o.amount), 0) AS total
        FROM public.customers c LEFT JOIN sales.orders o ON o.customer_id = c.id GROUP BY c.id, c.name""",
        "CREATE SEQUENCE sales.invoice_number START 1000",
        "SELECT nextval('sales.invoice_number') FROM generate_series(1, 42)",
        "CREATE TABLE public.documents (id int PRIMARY KEY, doc oid NOT NULL)",
        """
        INSERT INTO public.documents
        VALUES (1, lo_from_bytea(0, convert_to(repeat('pgvault large object ✓ ', 200), 'UTF8') || '\\x00ff10'::bytea))""",
    };

    private Seed() {
    }

    /**
     * Creates in {@code db} (made if missing): schemas {@code sales} and {@code "Audit Log"}; tables
     * {@code public.customers} (1000 rows), {@code sales.orders} (5000, FK), {@code sales."OrderLines"} (300, unicode
     * and NULLs), {@code "Audit Log".events} (200, jsonb), {@code public.documents} (one large object); a view and a
     * sequence.
     */
    public static void logicalFixture(PgCluster cluster, String db) {
        if (!cluster.databaseExists(db)) {
            cluster.createDatabase(db);
        }
        cluster.execute(db, LOGICAL_FIXTURE);
    }
}
