package io.pgvault;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/** pgvault: backs up, restores and proves PostgreSQL backups over a REST API. */
@SpringBootApplication
@ConfigurationPropertiesScan
public class PgvaultApplication {

    public static void main(String[] args) {
        SpringApplication.run(PgvaultApplication.class, args);
    }
}
