package io.pgvault.testing;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.springframework.boot.jdbc.test.autoconfigure.AutoConfigureTestDatabase;
import org.springframework.boot.test.util.TestPropertyValues;
import org.springframework.context.ApplicationContextInitializer;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.ContextConfiguration;

/**
 * Runs a {@link CatalogSliceTest} on a PostgreSQL catalog instead of H2: a fresh database made once per test JVM by
 * {@link CatalogDatabase} (a Testcontainers container when a Docker engine answers, else a database on the
 * harness's own cluster), migrated by Flyway when the slice's context starts. The initializer is one class for every
 * annotated test, so they all share one cached context and one database.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Documented
@AutoConfigureTestDatabase(replace = AutoConfigureTestDatabase.Replace.NONE)
@ContextConfiguration(initializers = OnPostgresCatalog.Catalog.class)
public @interface OnPostgresCatalog {

    /** Points the slice's data source at the PostgreSQL catalog. */
    final class Catalog implements ApplicationContextInitializer<ConfigurableApplicationContext> {

        static final String NAME = "pgvault_catalog_slice";
        private static CatalogDatabase database;

        private static synchronized CatalogDatabase database() {
            if (database == null) {
                database = CatalogDatabase.create(NAME);
                System.out.println("the catalog slice runs on " + database.where());
            }
            return database;
        }

        @Override
        public void initialize(ConfigurableApplicationContext context) {
            CatalogDatabase db = database();
            TestPropertyValues.of("spring.datasource.url=" + db.url(), "spring.datasource.username=" + db.username(),
                    "spring.datasource.password=" + db.password()).applyTo(context);
        }
    }
}
