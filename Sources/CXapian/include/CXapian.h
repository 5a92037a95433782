// A small C API over Xapian. Every function that can fail catches all exceptions inside and
// reports them through `gk_error **error`; the caller frees the error with gk_error_free.
// No C++ exception ever crosses into Swift.
#ifndef GONGKAI_CXAPIAN_H
#define GONGKAI_CXAPIAN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gk_error {
    /// Xapian's exception class name, e.g. "DatabaseOpeningError", "DatabaseLockError".
    char *type;
    char *message;
} gk_error;

void gk_error_free(gk_error *error);

typedef struct gk_writable gk_writable;
typedef struct gk_database gk_database;
typedef struct gk_document gk_document;
typedef struct gk_query gk_query;
typedef struct gk_result gk_result;

// --- values -----------------------------------------------------------------------------

/// Xapian::sortable_serialise into `out` (at least 9 bytes); returns the length written.
size_t gk_sortable_serialise(double value, char *out);
/// Xapian::sortable_unserialise.
double gk_sortable_unserialise(const char *value, size_t length);

// --- documents --------------------------------------------------------------------------

gk_document *gk_document_new(void);
void gk_document_free(gk_document *doc);
void gk_document_set_data(gk_document *doc, const char *data, size_t length);
/// A term with a position (positions start at 1); wdf grows by one.
void gk_document_add_posting(gk_document *doc, const char *term, size_t length, uint32_t position);
/// A term without position, adding `wdf_increment` to its wdf.
void gk_document_add_term(gk_document *doc, const char *term, size_t length, uint32_t wdf_increment);
/// A filter term that does not affect ranking (wdf 0).
void gk_document_add_boolean_term(gk_document *doc, const char *term, size_t length);
void gk_document_set_value(gk_document *doc, uint32_t slot, const char *value, size_t length);

// --- writing ----------------------------------------------------------------------------

enum {
    GK_OPEN_CREATE_OR_OPEN = 0,
    GK_OPEN_CREATE_OR_OVERWRITE = 1,
};

/// Opens for writing. `no_sync` skips fsync (for rebuilds that are swapped in atomically).
gk_writable *gk_writable_open(const char *path, int mode, int no_sync, gk_error **error);
/// Commits pending changes, closes, and frees the handle.
void gk_writable_free(gk_writable *db);
/// Replaces the document indexed by `unique_term` (adds it if none); returns the docid or 0.
uint32_t gk_writable_replace_by_term(gk_writable *db, const char *unique_term, size_t length,
                                     const gk_document *doc, gk_error **error);
/// Adds a document; returns its docid, or 0 on error.
uint32_t gk_writable_add(gk_writable *db, const gk_document *doc, gk_error **error);
/// Deletes every document indexed by `term`. Returns 0 on success.
int gk_writable_delete_by_term(gk_writable *db, const char *term, size_t length, gk_error **error);
int gk_writable_set_metadata(gk_writable *db, const char *key, const char *value, size_t length,
                             gk_error **error);
int gk_writable_commit(gk_writable *db, gk_error **error);
/// Groups changes so that they commit together (Xapian's flushes inside a transaction write
/// but do not commit). Committing or cancelling ends the transaction. Return 0 on success.
int gk_writable_begin_transaction(gk_writable *db, gk_error **error);
int gk_writable_commit_transaction(gk_writable *db, gk_error **error);
int gk_writable_cancel_transaction(gk_writable *db, gk_error **error);
/// Documents currently in the database, counting uncommitted changes.
uint32_t gk_writable_doccount(gk_writable *db);
/// The revision last committed (the next commit makes revision + 1).
uint64_t gk_writable_revision(gk_writable *db, gk_error **error);
/// The docids of the documents indexed by `term`, counting uncommitted changes, into a malloc'd
/// array (*count entries; NULL when none or on error; free with gk_string_free).
uint32_t *gk_writable_postlist(gk_writable *db, const char *term, size_t length, size_t *count, gk_error **error);
/// The metadata value for `key` as a malloc'd string (caller frees with gk_string_free), or NULL.
char *gk_writable_get_metadata(gk_writable *db, const char *key, size_t *length, gk_error **error);
/// Every term with `prefix`, separated by '\n', as a malloc'd string (NULL when none or on error).
char *gk_writable_all_terms(gk_writable *db, const char *prefix, size_t *length, gk_error **error);
/// Every metadata key with `prefix`, separated by '\n' (malloc'd; NULL when none or on error).
char *gk_writable_metadata_keys(gk_writable *db, const char *prefix, size_t *length, gk_error **error);

void gk_string_free(char *string);

/// Called with the exception's type and message when the process is about to terminate
/// because of a C++ exception nothing can catch (libxapian 1.4 throws from inside noexcept
/// code when a write fails during a flush, e.g. on a full disk). The handler should report,
/// clean up and exit; if it returns, the process aborts.
typedef void (*gk_terminate_handler)(const char *type, const char *message);
void gk_set_terminate_handler(gk_terminate_handler handler);

/// Merges the databases at `sources` into a new compact database at `destination`. Returns 0 on
/// success.
int gk_compact(const char *const *sources, size_t count, const char *destination, gk_error **error);

// --- reading ----------------------------------------------------------------------------

/// Opens a database for reading: a directory, or a stub file listing databases.
gk_database *gk_database_open(const char *path, gk_error **error);
/// Opens a database served by xapian-tcpsrv. `timeout_ms` bounds each operation (then
/// NetworkTimeoutError), `connect_timeout_ms` the connection.
gk_database *gk_database_open_remote(const char *host, unsigned int port, unsigned int timeout_ms,
                                     unsigned int connect_timeout_ms, gk_error **error);
/// One database searching all of `parts` as one (none: an empty database). The parts stay
/// usable on their own and share their connections with it: free it before them.
gk_database *gk_database_combine(gk_database *const *parts, size_t count, gk_error **error);
void gk_database_free(gk_database *db);
/// Reopens on the latest revision; sets *changed when a newer revision is now served.
int gk_database_reopen(gk_database *db, int *changed, gk_error **error);
uint32_t gk_database_doccount(gk_database *db, gk_error **error);
uint64_t gk_database_revision(gk_database *db, gk_error **error);
char *gk_database_get_metadata(gk_database *db, const char *key, size_t *length, gk_error **error);
uint32_t gk_database_termfreq(gk_database *db, const char *term, size_t length, gk_error **error);
/// The data of document `docid` (malloc'd; free with gk_string_free), or NULL with an error.
char *gk_database_document_data(gk_database *db, uint32_t docid, size_t *length, gk_error **error);
/// Every term with `prefix`, separated by '\n' (malloc'd; NULL when none or on error).
char *gk_database_all_terms(gk_database *db, const char *prefix, size_t *length, gk_error **error);
/// Every metadata key with `prefix`, separated by '\n' (malloc'd; NULL when none or on error).
char *gk_database_metadata_keys(gk_database *db, const char *prefix, size_t *length, gk_error **error);

/// Decides whether a term may be proposed by an expansion: nonzero accepts. Called on the
/// calling thread during gk_database_expand; it must not unwind (Swift closures cannot throw here).
typedef int (*gk_term_filter)(const char *term, size_t length, void *context);

/// Xapian's relevance feedback (Enquire::get_eset, with exact term frequencies so that shards
/// expand as one index): the `max_terms` terms, among those `filter` accepts (NULL: all), that
/// best tell the documents `relevant` (an RSet of `count` docids) from the rest, best first, as "term\tweight\n" lines (malloc'd; free with gk_string_free;
/// NULL when none or on error).
char *gk_database_expand(gk_database *db, const uint32_t *relevant, size_t count, uint32_t max_terms,
                         gk_term_filter filter, void *context, size_t *length, gk_error **error);

// --- queries ----------------------------------------------------------------------------

enum {
    GK_OP_AND = 0,
    GK_OP_OR = 1,
    GK_OP_AND_NOT = 2,
    GK_OP_FILTER = 3,
    GK_OP_AND_MAYBE = 4,
    GK_OP_PHRASE = 5,
    GK_OP_NEAR = 6,
    GK_OP_SYNONYM = 7,
};

/// Queries are immutable values; every constructor returns a new handle to free.
gk_query *gk_query_term(const char *term, size_t length, uint32_t wqf);
gk_query *gk_query_match_all(void);
gk_query *gk_query_match_nothing(void);
/// Combines `count` subqueries; `window` is the PHRASE/NEAR window (0: the number of terms).
gk_query *gk_query_combine(int op, gk_query *const *subqueries, size_t count, uint32_t window);
/// Documents whose value in `slot` lies in [low, high]; a NULL bound is open.
gk_query *gk_query_value_range(uint32_t slot, const char *low, size_t low_length,
                               const char *high, size_t high_length);
gk_query *gk_query_scale_weight(gk_query *query, double factor);
/// A query matching every document that adds a fixed weight per value in `slot`
/// (Xapian::ValueMapPostingSource): keys[i] (keys_lengths[i] bytes) weighs weights[i], other
/// values `default_weight`.
gk_query *gk_query_value_weights(uint32_t slot, const char *const *keys, const size_t *key_lengths,
                                 const double *weights, size_t count, double default_weight);
void gk_query_free(gk_query *query);
/// Xapian's description of the query (malloc'd; free with gk_string_free).
char *gk_query_describe(const gk_query *query);

// --- searching --------------------------------------------------------------------------

typedef struct gk_search_options {
    uint32_t offset;
    uint32_t limit;
    /// Minimum number of documents to consider, so that counts are exact up to it.
    uint32_t check_at_least;
    /// Value slot to sort by, or -1 for relevance.
    int32_t sort_slot;
    int sort_descending;
    /// Value slots to count distinct values of over all matches considered.
    const uint32_t *facet_slots;
    size_t facet_slot_count;
    /// Seconds before the match stops early (0: no limit).
    double time_limit;
    /// Value slots returned with each hit.
    const uint32_t *hit_value_slots;
    size_t hit_value_slot_count;
} gk_search_options;

/// Runs a query; retries on DatabaseModifiedError after reopening. Returns NULL on error.
gk_result *gk_search(gk_database *db, const gk_query *query, const gk_search_options *options,
                     gk_error **error);
void gk_result_free(gk_result *result);
uint32_t gk_result_matches_lower_bound(const gk_result *result);
uint32_t gk_result_matches_estimated(const gk_result *result);
uint32_t gk_result_matches_upper_bound(const gk_result *result);
size_t gk_result_size(const gk_result *result);
uint32_t gk_result_docid(const gk_result *result, size_t index);
double gk_result_weight(const gk_result *result, size_t index);
const char *gk_result_data(const gk_result *result, size_t index, size_t *length);
/// The value of hit `index` in the slot at `slot_index` of hit_value_slots.
const char *gk_result_hit_value(const gk_result *result, size_t index, size_t slot_index, size_t *length);
/// Number of distinct values counted for the facet at `facet_index` (index into facet_slots).
size_t gk_result_facet_size(const gk_result *result, size_t facet_index);
const char *gk_result_facet_value(const gk_result *result, size_t facet_index, size_t value_index,
                                  size_t *length);
uint32_t gk_result_facet_count(const gk_result *result, size_t facet_index, size_t value_index);

#ifdef __cplusplus
}
#endif

#endif
