package io.pgvault.cluster;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import java.util.List;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/** Keeps a cluster's sanity queries as one JSON text column. */
@Converter
class SanityQueriesConverter implements AttributeConverter<List<SanityQuery>, String> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Override
    public String convertToDatabaseColumn(List<SanityQuery> queries) {
        return queries == null || queries.isEmpty() ? null : JSON.writeValueAsString(queries);
    }

    @Override
    public List<SanityQuery> convertToEntityAttribute(String text) {
        return text == null ? List.of() : JSON.readValue(text, new TypeReference<List<SanityQuery>>() { });
    }
}
