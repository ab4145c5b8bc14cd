package dev.oxbow.dataapi;

/**
 * A refused Data API request, answered as PostgREST does: HTTP status plus {@code code}, {@code message},
 * {@code details}, {@code hint}. Codes {@code PGRSTnnn} are PostgREST's own; Postgres errors keep their SQLSTATE.
 */
public final class PostgrestException extends RuntimeException {
    private final int status;
    private final String code;
    private final String details;
    private final String hint;

    public PostgrestException(int status, String code, String message, String details, String hint) {
        super(message);
        this.status = status;
        this.code = code;
        this.details = details;
        this.hint = hint;
    }

    /** PGRST100: the query string or body could not be parsed. */
    static PostgrestException parse(String message, String details) {
        return new PostgrestException(400, "PGRST100", message, details, null);
    }

    /** PGRST205: the relation is not exposed (does not exist in the exposed schemas). */
    static PostgrestException noRelation(String schema, String name) {
        return new PostgrestException(404, "PGRST205", "Could not find the table '" + schema + "." + name + "' in the schema cache",
                null, "Tables and views of the exposed schemas are served; check the name and db_schemas.");
    }

    /** PGRST204: a column named in the request does not exist on the relation. */
    static PostgrestException noColumn(String relation, String column) {
        return new PostgrestException(400, "PGRST204", "Could not find the '" + column + "' column of '" + relation + "' in the schema cache",
                null, null);
    }

    public int status() { return status; }
    public String code() { return code; }
    public String details() { return details; }
    public String hint() { return hint; }
}
