package io.pgvault.security;

import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;
import org.springframework.stereotype.Component;

/** A catalog column that holds a secret: sealed by {@link SecretBox} on write, opened on read. */
@Component
@Converter
public class SealedString implements AttributeConverter<String, String> {

    private final SecretBox box;

    public SealedString(SecretBox box) {
        this.box = box;
    }

    @Override
    public String convertToDatabaseColumn(String plain) {
        return box.seal(plain);
    }

    @Override
    public String convertToEntityAttribute(String stored) {
        return box.open(stored);
    }
}
