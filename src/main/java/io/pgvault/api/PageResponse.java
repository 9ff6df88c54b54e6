package io.pgvault.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.function.Function;
import org.springframework.data.domain.Page;

/** One page of a list, newest first. */
@Schema(description = "One page of a list, newest first")
public record PageResponse<T>(
        @Schema(description = "the entries of this page")
        List<T> content,
        @Schema(description = "the page number, from 0")
        int page,
        @Schema(description = "the page size asked for")
        int size,
        @Schema(description = "entries in all pages")
        long totalElements,
        @Schema(description = "pages in all")
        int totalPages) {

    public static <S, T> PageResponse<T> of(Page<S> page, Function<S, T> mapper) {
        return new PageResponse<>(page.getContent().stream().map(mapper).toList(), page.getNumber(), page.getSize(),
                page.getTotalElements(), page.getTotalPages());
    }
}
