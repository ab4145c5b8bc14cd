package dev.oxbow.controlplane;

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

    public static String token(long nextSeq) {
        return nextSeq == 0 ? null : Long.toString(nextSeq);
    }
}
