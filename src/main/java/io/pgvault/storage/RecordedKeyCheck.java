package io.pgvault.storage;

import io.pgvault.storage.crypto.EncryptedObjectStore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * At start-up, once the catalog is migrated: every key id the catalog records for a file in an encrypted
 * repository must be among that repository's configured keys. One that is not means the key material was lost
 * or replaced (a key file moved aside and created anew): the default repository stops the start, another one
 * refuses to write and is DOWN, each with the missing ids and the file that should hold them. Without this, new
 * backups would succeed under a new key while every earlier one stayed unreadable, and nothing would say so.
 */
@Component
class RecordedKeyCheck {

    private static final String RECORDED = """
            select b.repository, f.key_id from backup_file f join backup b on b.id = f.backup_id
             where f.key_id is not null group by b.repository, f.key_id
            union
            select repository, key_id from wal_file where key_id is not null group by repository, key_id
            union
            select repository, key_id from backup_copy where key_id is not null and status = 'COPIED'
             group by repository, key_id
            union
            select repository, key_id from wal_copy where key_id is not null group by repository, key_id
            """;

    RecordedKeyCheck(Repositories repositories, JdbcTemplate jdbc) {
        Map<String, Set<String>> recorded = new LinkedHashMap<>();
        jdbc.query(RECORDED, row -> {
            recorded.computeIfAbsent(row.getString(1), r -> new TreeSet<>()).add(row.getString(2));
        });
        for (Repositories.Repository r : repositories.all()) {
            if (r.store() instanceof EncryptedObjectStore encrypted && encrypted.keys().refusal().isEmpty()) {
                Set<String> missing = new TreeSet<>(recorded.getOrDefault(r.name(), Set.of()));
                missing.removeAll(encrypted.keys().keyIds());
                if (!missing.isEmpty()) {
                    repositories.refuseWrites(r.name(), reason(r.name(), missing, encrypted));
                }
            }
        }
    }

    private static String reason(String name, Set<String> missing, EncryptedObjectStore encrypted) {
        String settings = "pgvault.repositories." + name + ".";
        List<String> configured = List.copyOf(encrypted.keys().keyIds());
        return "the catalog records files encrypted with key id" + (missing.size() > 1 ? "s " : " ")
                + String.join(", ", missing) + ", which the configured key material lacks (the current key from "
                + encrypted.keys().currentSource() + "; configured key ids " + configured + "). Restore the key "
                + "file that holds " + String.join(", ", missing) + " at " + settings + "encryption-key-file, or "
                + "name it in " + settings + "encryption-old-key-files";
    }
}
