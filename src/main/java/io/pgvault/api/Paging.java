package io.pgvault.api;

import org.springframework.data.domain.PageRequest;
import org.springframework.data.domain.Pageable;
import org.springframework.data.domain.Sort;

/** Validated paging parameters. */
public final class Paging {

    public static final int MAX_SIZE = 500;

    private Paging() {
    }

    /** Page {@code page} of {@code size} entries, sorted by {@code property} descending (newest first). */
    public static Pageable newestFirst(int page, int size, String property) {
        if (page < 0) {
            throw new InvalidRequestException("page", "page must be 0 or more");
        }
        if (size < 1 || size > MAX_SIZE) {
            throw new InvalidRequestException("size", "size must be from 1 to " + MAX_SIZE);
        }
        return PageRequest.of(page, size, Sort.by(Sort.Direction.DESC, property).and(Sort.by("id")));
    }
}
