package dev.oxbow.controlplane.resource;

/** Page size and token rules shared by every list call. Tokens are the creation sequence to resume at. */
public record Paging(int pageSize, long fromSeq) {
    public static final int MAX_PAGE_SIZE = 100;

    public static Paging of(Integer pageSize, String pageToken) {
        int size = pageSize == null || pageSize == 0 ? MAX_PAGE_SIZE : pageSize;
        if (size < 0) {
            throw ApiException.invalid("Field page_size must not be negative, got " + pageSize + ".");
        }
        long from = 0;
        if (pageToken != null && !pageToken.isEmpty()) {
            try {
                from = Long.parseLong(pageToken);
            } catch (NumberFormatException e) {
                throw ApiException.invalid("Invalid page_token '" + pageToken + "': pass the next_page_token of the previous page.");
            }
        }
        return new Paging(Math.min(size, MAX_PAGE_SIZE), from);
    }

    /** One page of {@code table}'s children of {@code parent}, with the token for the next. */
    public static <T extends dev.oxbow.metadata.Resource> ListResult<T> list(dev.oxbow.metadata.ResourceTable<T> table, String parent,
                                                                            Integer pageSize, String pageToken) {
        Paging paging = of(pageSize, pageToken);
        var page = table.page(parent, paging.fromSeq(), paging.pageSize());
        return new ListResult<>(page.items(), token(page.nextSeq()));
    }

    public static String token(long nextSeq) {
        return nextSeq == 0 ? null : Long.toString(nextSeq);
    }
}
