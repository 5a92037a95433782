// The C API of CXapian.h over libxapian. Each entry point that can throw runs its body through
// `guarded`, which turns any exception into a gk_error.
#include "CXapian.h"

#include <xapian.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct gk_writable {
    Xapian::WritableDatabase db;
};

struct gk_database {
    Xapian::Database db;
    // A combined database shares its parts' connections: freeing it must not close them.
    bool shares_parts = false;
};

struct gk_document {
    Xapian::Document doc;
};

struct gk_query {
    Xapian::Query query;
};

struct gk_facet {
    std::vector<std::pair<std::string, Xapian::doccount>> values;
};

struct gk_result {
    Xapian::doccount lower_bound = 0;
    Xapian::doccount estimated = 0;
    Xapian::doccount upper_bound = 0;
    std::vector<Xapian::docid> docids;
    std::vector<double> weights;
    std::vector<std::string> data;
    /// Per hit, the values of the requested slots.
    std::vector<std::vector<std::string>> values;
    std::vector<gk_facet> facets;
};

namespace {

char *copy_string(const std::string &s) {
    char *out = static_cast<char *>(std::malloc(s.size() + 1));
    if (out == nullptr) return nullptr;
    std::memcpy(out, s.data(), s.size());
    out[s.size()] = '\0';
    return out;
}

void set_error(gk_error **error, const std::string &type, const std::string &message) {
    if (error == nullptr) return;
    gk_error *e = static_cast<gk_error *>(std::malloc(sizeof(gk_error)));
    if (e == nullptr) return;
    e->type = copy_string(type);
    e->message = copy_string(message);
    *error = e;
}

// Xapian's message, with the system's reason when there is one: "Error writing block 576 (No
// space left on device)".
std::string describe(const Xapian::Error &e) {
    if (e.get_msg().empty()) return e.get_description();
    std::string message = e.get_msg();
    if (const char *reason = e.get_error_string()) message += std::string(" (") + reason + ")";
    return message;
}

// Runs `body`, converting every exception into *error. Returns whether it succeeded.
template <typename Body>
bool guarded(gk_error **error, Body &&body) {
    try {
        body();
        return true;
    } catch (const Xapian::Error &e) {
        set_error(error, e.get_type(), describe(e));
    } catch (const std::bad_alloc &) {
        set_error(error, "OutOfMemory", "out of memory");
    } catch (const std::exception &e) {
        set_error(error, "std::exception", e.what());
    } catch (...) {
        set_error(error, "UnknownError", "unknown C++ exception");
    }
    return false;
}

std::string all_terms(Xapian::Database &db, const char *prefix) {
    std::string out;
    for (auto it = db.allterms_begin(prefix); it != db.allterms_end(prefix); ++it) {
        out += *it;
        out += '\n';
    }
    return out;
}

std::string metadata_keys(Xapian::Database &db, const char *prefix) {
    std::string out;
    for (auto it = db.metadata_keys_begin(prefix); it != db.metadata_keys_end(prefix); ++it) {
        out += *it;
        out += '\n';
    }
    return out;
}

// Hands a '\n'-joined list to C as a malloc'd string.
template <typename Lister>
char *listing(gk_error **error, size_t *length, Lister &&lister) {
    char *out = nullptr;
    guarded(error, [&] {
        std::string joined = lister();
        *length = joined.size();
        out = copy_string(joined);
    });
    return out;
}

// An ExpandDecider that asks the caller's filter.
class FilterDecider : public Xapian::ExpandDecider {
  public:
    FilterDecider(gk_term_filter filter, void *context) : filter_(filter), context_(context) {}
    bool operator()(const std::string &term) const override {
        return filter_ == nullptr || filter_(term.data(), term.size(), context_) != 0;
    }

  private:
    gk_term_filter filter_;
    void *context_;
};

}  // namespace

extern "C" {

void gk_error_free(gk_error *error) {
    if (error == nullptr) return;
    std::free(error->type);
    std::free(error->message);
    std::free(error);
}

void gk_string_free(char *string) { std::free(string); }

namespace {
gk_terminate_handler terminate_handler = nullptr;
}

void gk_set_terminate_handler(gk_terminate_handler handler) {
    terminate_handler = handler;
    std::set_terminate([] {
        std::string type = "UnknownError", message = "unknown C++ exception";
        if (std::exception_ptr current = std::current_exception()) {
            try {
                std::rethrow_exception(current);
            } catch (const Xapian::Error &e) {
                type = e.get_type();
                message = describe(e);
            } catch (const std::exception &e) {
                type = "std::exception";
                message = e.what();
            } catch (...) {
            }
        }
        if (terminate_handler != nullptr) terminate_handler(type.c_str(), message.c_str());
        std::abort();
    });
}

size_t gk_sortable_serialise(double value, char *out) {
    std::string s = Xapian::sortable_serialise(value);
    std::memcpy(out, s.data(), s.size());
    return s.size();
}

double gk_sortable_unserialise(const char *value, size_t length) {
    try {
        return Xapian::sortable_unserialise(std::string(value, length));
    } catch (...) {
        return 0;
    }
}

// --- documents ---------------------------------------------------------------------------
// Document setters only append to in-memory structures; they can throw only bad_alloc, which
// is swallowed rather than allowed to unwind into Swift.

gk_document *gk_document_new(void) {
    try {
        return new gk_document();
    } catch (...) {
        return nullptr;
    }
}

void gk_document_free(gk_document *doc) { delete doc; }

void gk_document_set_data(gk_document *doc, const char *data, size_t length) {
    guarded(nullptr, [&] { doc->doc.set_data(std::string(data, length)); });
}

void gk_document_add_posting(gk_document *doc, const char *term, size_t length, uint32_t position) {
    guarded(nullptr, [&] { doc->doc.add_posting(std::string(term, length), position); });
}

void gk_document_add_term(gk_document *doc, const char *term, size_t length, uint32_t wdf_increment) {
    guarded(nullptr, [&] { doc->doc.add_term(std::string(term, length), wdf_increment); });
}

void gk_document_add_boolean_term(gk_document *doc, const char *term, size_t length) {
    guarded(nullptr, [&] { doc->doc.add_boolean_term(std::string(term, length)); });
}

void gk_document_set_value(gk_document *doc, uint32_t slot, const char *value, size_t length) {
    guarded(nullptr, [&] { doc->doc.add_value(slot, std::string(value, length)); });
}

// --- writing -----------------------------------------------------------------------------

gk_writable *gk_writable_open(const char *path, int mode, int no_sync, gk_error **error) {
    gk_writable *result = nullptr;
    guarded(error, [&] {
        int flags = (mode == GK_OPEN_CREATE_OR_OVERWRITE) ? Xapian::DB_CREATE_OR_OVERWRITE
                                                          : Xapian::DB_CREATE_OR_OPEN;
        if (no_sync) flags |= Xapian::DB_NO_SYNC;
        result = new gk_writable{Xapian::WritableDatabase(path, flags | Xapian::DB_BACKEND_GLASS)};
    });
    return result;
}

void gk_writable_free(gk_writable *db) {
    if (db == nullptr) return;
    guarded(nullptr, [&] { db->db.close(); });
    delete db;
}

uint32_t gk_writable_replace_by_term(gk_writable *db, const char *unique_term, size_t length,
                                     const gk_document *doc, gk_error **error) {
    Xapian::docid id = 0;
    guarded(error, [&] { id = db->db.replace_document(std::string(unique_term, length), doc->doc); });
    return id;
}

uint32_t gk_writable_add(gk_writable *db, const gk_document *doc, gk_error **error) {
    Xapian::docid id = 0;
    guarded(error, [&] { id = db->db.add_document(doc->doc); });
    return id;
}

int gk_writable_delete_by_term(gk_writable *db, const char *term, size_t length, gk_error **error) {
    return guarded(error, [&] { db->db.delete_document(std::string(term, length)); }) ? 0 : -1;
}

int gk_writable_set_metadata(gk_writable *db, const char *key, const char *value, size_t length,
                             gk_error **error) {
    return guarded(error, [&] { db->db.set_metadata(key, std::string(value, length)); }) ? 0 : -1;
}

int gk_writable_commit(gk_writable *db, gk_error **error) {
    return guarded(error, [&] { db->db.commit(); }) ? 0 : -1;
}

int gk_writable_begin_transaction(gk_writable *db, gk_error **error) {
    return guarded(error, [&] { db->db.begin_transaction(true); }) ? 0 : -1;
}

int gk_writable_commit_transaction(gk_writable *db, gk_error **error) {
    return guarded(error, [&] { db->db.commit_transaction(); }) ? 0 : -1;
}

int gk_writable_cancel_transaction(gk_writable *db, gk_error **error) {
    return guarded(error, [&] { db->db.cancel_transaction(); }) ? 0 : -1;
}

uint32_t gk_writable_doccount(gk_writable *db) {
    Xapian::doccount count = 0;
    guarded(nullptr, [&] { count = db->db.get_doccount(); });
    return count;
}

uint64_t gk_writable_revision(gk_writable *db, gk_error **error) {
    uint64_t revision = 0;
    guarded(error, [&] { revision = db->db.get_revision(); });
    return revision;
}

uint32_t *gk_writable_postlist(gk_writable *db, const char *term, size_t length, size_t *count, gk_error **error) {
    uint32_t *out = nullptr;
    *count = 0;
    guarded(error, [&] {
        std::string name(term, length);
        std::vector<uint32_t> docids;
        for (auto it = db->db.postlist_begin(name); it != db->db.postlist_end(name); ++it) docids.push_back(*it);
        if (docids.empty()) return;
        out = static_cast<uint32_t *>(std::malloc(docids.size() * sizeof(uint32_t)));
        if (out == nullptr) throw std::bad_alloc();
        std::memcpy(out, docids.data(), docids.size() * sizeof(uint32_t));
        *count = docids.size();
    });
    return out;
}

char *gk_writable_get_metadata(gk_writable *db, const char *key, size_t *length, gk_error **error) {
    char *out = nullptr;
    guarded(error, [&] {
        std::string value = db->db.get_metadata(key);
        *length = value.size();
        out = copy_string(value);
    });
    return out;
}

char *gk_writable_all_terms(gk_writable *db, const char *prefix, size_t *length, gk_error **error) {
    return listing(error, length, [&] { return all_terms(db->db, prefix); });
}

char *gk_writable_metadata_keys(gk_writable *db, const char *prefix, size_t *length, gk_error **error) {
    return listing(error, length, [&] { return metadata_keys(db->db, prefix); });
}

int gk_compact(const char *const *sources, size_t count, const char *destination, gk_error **error) {
    return guarded(error, [&] {
        Xapian::Database combined;
        for (size_t i = 0; i < count; ++i) combined.add_database(Xapian::Database(sources[i]));
        // 32 KiB blocks: the merged database is written once and read many times; larger blocks
        // hold more items per block (2,000 generated documents: 2% smaller than with 8 KiB).
        combined.compact(destination, Xapian::DBCOMPACT_MULTIPASS, 32768);
    }) ? 0 : -1;
}

// --- reading -----------------------------------------------------------------------------

gk_database *gk_database_open(const char *path, gk_error **error) {
    gk_database *result = nullptr;
    guarded(error, [&] { result = new gk_database{Xapian::Database(path)}; });
    return result;
}

gk_database *gk_database_open_remote(const char *host, unsigned int port, unsigned int timeout_ms,
                                     unsigned int connect_timeout_ms, gk_error **error) {
    gk_database *result = nullptr;
    guarded(error, [&] {
        result = new gk_database{Xapian::Remote::open(host, port, timeout_ms, connect_timeout_ms)};
    });
    return result;
}

gk_database *gk_database_combine(gk_database *const *parts, size_t count, gk_error **error) {
    gk_database *result = nullptr;
    guarded(error, [&] {
        Xapian::Database combined;
        for (size_t i = 0; i < count; ++i) combined.add_database(parts[i]->db);
        result = new gk_database{std::move(combined), true};
    });
    return result;
}

void gk_database_free(gk_database *db) {
    if (db == nullptr) return;
    if (!db->shares_parts) guarded(nullptr, [&] { db->db.close(); });
    delete db;
}

int gk_database_reopen(gk_database *db, int *changed, gk_error **error) {
    return guarded(error, [&] { *changed = db->db.reopen() ? 1 : 0; }) ? 0 : -1;
}

uint32_t gk_database_doccount(gk_database *db, gk_error **error) {
    Xapian::doccount count = 0;
    guarded(error, [&] { count = db->db.get_doccount(); });
    return count;
}

uint64_t gk_database_revision(gk_database *db, gk_error **error) {
    uint64_t revision = 0;
    guarded(error, [&] { revision = db->db.get_revision(); });
    return revision;
}

char *gk_database_get_metadata(gk_database *db, const char *key, size_t *length, gk_error **error) {
    char *out = nullptr;
    guarded(error, [&] {
        std::string value = db->db.get_metadata(key);
        *length = value.size();
        out = copy_string(value);
    });
    return out;
}

uint32_t gk_database_termfreq(gk_database *db, const char *term, size_t length, gk_error **error) {
    Xapian::doccount freq = 0;
    guarded(error, [&] { freq = db->db.get_termfreq(std::string(term, length)); });
    return freq;
}

char *gk_database_document_data(gk_database *db, uint32_t docid, size_t *length, gk_error **error) {
    char *out = nullptr;
    guarded(error, [&] {
        // A writer may commit meanwhile; the newest revision holds the document too unless it
        // was deleted, which the caller reports.
        for (int attempt = 0;; ++attempt) {
            try {
                std::string data = db->db.get_document(docid).get_data();
                *length = data.size();
                out = copy_string(data);
                return;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= 4) throw;
                db->db.reopen();
            }
        }
    });
    return out;
}

char *gk_database_all_terms(gk_database *db, const char *prefix, size_t *length, gk_error **error) {
    return listing(error, length, [&] { return all_terms(db->db, prefix); });
}

char *gk_database_metadata_keys(gk_database *db, const char *prefix, size_t *length, gk_error **error) {
    return listing(error, length, [&] { return metadata_keys(db->db, prefix); });
}

char *gk_database_expand(gk_database *db, const uint32_t *relevant, size_t count, uint32_t max_terms,
                         gk_term_filter filter, void *context, size_t *length, gk_error **error) {
    return listing(error, length, [&] {
        FilterDecider decider(filter, context);
        // A writer may commit meanwhile; reopening reads the newest revision.
        for (int attempt = 0;; ++attempt) {
            try {
                Xapian::RSet rset;
                for (size_t i = 0; i < count; ++i) rset.add_document(relevant[i]);
                Xapian::Enquire enquire(db->db);
                // Exact term frequencies: over shards Xapian otherwise estimates them from the
                // shard each term list came from, and shards would expand unlike one index.
                Xapian::ESet eset = enquire.get_eset(max_terms, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
                std::string out;
                char weight[32];
                for (auto it = eset.begin(); it != eset.end(); ++it) {
                    std::snprintf(weight, sizeof weight, "%.17g", it.get_weight());
                    out += *it;
                    out += '\t';
                    out += weight;
                    out += '\n';
                }
                return out;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= 4) throw;
                db->db.reopen();
            }
        }
    });
}

// --- queries -----------------------------------------------------------------------------

static gk_query *wrap_query(Xapian::Query &&query) {
    try {
        return new gk_query{std::move(query)};
    } catch (...) {
        return nullptr;
    }
}

gk_query *gk_query_term(const char *term, size_t length, uint32_t wqf) {
    try {
        return wrap_query(Xapian::Query(std::string(term, length), wqf));
    } catch (...) {
        return nullptr;
    }
}

// Xapian::Query::MatchAll is one static object whose reference count is not atomic: copying it
// from several threads corrupts the heap. An empty term builds an equivalent, unshared query.
static Xapian::Query fresh_match_all() { return Xapian::Query(std::string()); }

gk_query *gk_query_match_all(void) {
    try {
        return wrap_query(fresh_match_all());
    } catch (...) {
        return nullptr;
    }
}

gk_query *gk_query_match_nothing(void) { return wrap_query(Xapian::Query()); }

gk_query *gk_query_combine(int op, gk_query *const *subqueries, size_t count, uint32_t window) {
    try {
        std::vector<Xapian::Query> parts;
        parts.reserve(count);
        for (size_t i = 0; i < count; ++i) parts.push_back(subqueries[i]->query);
        Xapian::Query::op xop;
        switch (op) {
            case GK_OP_AND: xop = Xapian::Query::OP_AND; break;
            case GK_OP_OR: xop = Xapian::Query::OP_OR; break;
            case GK_OP_AND_NOT: xop = Xapian::Query::OP_AND_NOT; break;
            case GK_OP_FILTER: xop = Xapian::Query::OP_FILTER; break;
            case GK_OP_AND_MAYBE: xop = Xapian::Query::OP_AND_MAYBE; break;
            case GK_OP_PHRASE: xop = Xapian::Query::OP_PHRASE; break;
            case GK_OP_NEAR: xop = Xapian::Query::OP_NEAR; break;
            case GK_OP_SYNONYM: xop = Xapian::Query::OP_SYNONYM; break;
            default: return nullptr;
        }
        return wrap_query(Xapian::Query(xop, parts.begin(), parts.end(), window));
    } catch (...) {
        return nullptr;
    }
}

gk_query *gk_query_value_range(uint32_t slot, const char *low, size_t low_length, const char *high,
                               size_t high_length) {
    try {
        if (low != nullptr && high != nullptr) {
            return wrap_query(Xapian::Query(Xapian::Query::OP_VALUE_RANGE, slot,
                                            std::string(low, low_length), std::string(high, high_length)));
        }
        if (low != nullptr) {
            return wrap_query(Xapian::Query(Xapian::Query::OP_VALUE_GE, slot, std::string(low, low_length)));
        }
        if (high != nullptr) {
            return wrap_query(Xapian::Query(Xapian::Query::OP_VALUE_LE, slot, std::string(high, high_length)));
        }
        return wrap_query(fresh_match_all());
    } catch (...) {
        return nullptr;
    }
}

gk_query *gk_query_scale_weight(gk_query *query, double factor) {
    try {
        return wrap_query(Xapian::Query(Xapian::Query::OP_SCALE_WEIGHT, query->query, factor));
    } catch (...) {
        return nullptr;
    }
}

gk_query *gk_query_value_weights(uint32_t slot, const char *const *keys, const size_t *key_lengths,
                                 const double *weights, size_t count, double default_weight) {
    try {
        std::unique_ptr<Xapian::ValueMapPostingSource> source(new Xapian::ValueMapPostingSource(slot));
        for (size_t i = 0; i < count; ++i) source->add_mapping(std::string(keys[i], key_lengths[i]), weights[i]);
        source->set_default_weight(default_weight);
        // The query takes ownership of the released source.
        return wrap_query(Xapian::Query(source.release()->release()));
    } catch (...) {
        return nullptr;
    }
}

void gk_query_free(gk_query *query) { delete query; }

char *gk_query_describe(const gk_query *query) {
    try {
        return copy_string(query->query.get_description());
    } catch (...) {
        return nullptr;
    }
}

// --- searching ---------------------------------------------------------------------------

static void run_search(Xapian::Database &db, const Xapian::Query &query, const gk_search_options &options,
                       gk_result &result) {
    // Declared before the Enquire, which keeps plain pointers to them, so they outlive it.
    std::vector<std::unique_ptr<Xapian::ValueCountMatchSpy>> spies;
    Xapian::Enquire enquire(db);
    enquire.set_query(query);
    if (options.sort_slot >= 0) {
        enquire.set_sort_by_value_then_relevance(static_cast<Xapian::valueno>(options.sort_slot),
                                                 options.sort_descending != 0);
    }
    if (options.time_limit > 0) enquire.set_time_limit(options.time_limit);
    for (size_t i = 0; i < options.facet_slot_count; ++i) {
        spies.push_back(std::make_unique<Xapian::ValueCountMatchSpy>(options.facet_slots[i]));
        enquire.add_matchspy(spies.back().get());
    }

    Xapian::MSet mset = enquire.get_mset(options.offset, options.limit, options.check_at_least);
    result.lower_bound = mset.get_matches_lower_bound();
    result.estimated = mset.get_matches_estimated();
    result.upper_bound = mset.get_matches_upper_bound();
    for (auto it = mset.begin(); it != mset.end(); ++it) {
        result.docids.push_back(*it);
        result.weights.push_back(it.get_weight());
        // Reading the data may throw DatabaseModifiedError too; the caller retries all of it.
        Xapian::Document doc = it.get_document();
        result.data.push_back(doc.get_data());
        std::vector<std::string> values;
        for (size_t i = 0; i < options.hit_value_slot_count; ++i) values.push_back(doc.get_value(options.hit_value_slots[i]));
        result.values.push_back(std::move(values));
    }
    for (auto &spy : spies) {
        gk_facet facet;
        for (auto v = spy->values_begin(); v != spy->values_end(); ++v) {
            facet.values.emplace_back(*v, v.get_termfreq());
        }
        result.facets.push_back(std::move(facet));
    }
}

gk_result *gk_search(gk_database *db, const gk_query *query, const gk_search_options *options,
                     gk_error **error) {
    gk_result *result = nullptr;
    bool ok = guarded(error, [&] {
        // A writer may commit twice while we read; reopening gets the newest revision.
        for (int attempt = 0;; ++attempt) {
            auto fresh = std::make_unique<gk_result>();
            try {
                run_search(db->db, query->query, *options, *fresh);
                result = fresh.release();
                return;
            } catch (const Xapian::DatabaseModifiedError &) {
                if (attempt >= 4) throw;
                db->db.reopen();
            }
        }
    });
    return ok ? result : nullptr;
}

void gk_result_free(gk_result *result) { delete result; }

uint32_t gk_result_matches_lower_bound(const gk_result *result) { return result->lower_bound; }
uint32_t gk_result_matches_estimated(const gk_result *result) { return result->estimated; }
uint32_t gk_result_matches_upper_bound(const gk_result *result) { return result->upper_bound; }
size_t gk_result_size(const gk_result *result) { return result->docids.size(); }
uint32_t gk_result_docid(const gk_result *result, size_t index) { return result->docids[index]; }
double gk_result_weight(const gk_result *result, size_t index) { return result->weights[index]; }

const char *gk_result_data(const gk_result *result, size_t index, size_t *length) {
    *length = result->data[index].size();
    return result->data[index].data();
}

const char *gk_result_hit_value(const gk_result *result, size_t index, size_t slot_index, size_t *length) {
    const std::string &value = result->values[index][slot_index];
    *length = value.size();
    return value.data();
}

size_t gk_result_facet_size(const gk_result *result, size_t facet_index) {
    return result->facets[facet_index].values.size();
}

const char *gk_result_facet_value(const gk_result *result, size_t facet_index, size_t value_index,
                                  size_t *length) {
    const std::string &value = result->facets[facet_index].values[value_index].first;
    *length = value.size();
    return value.data();
}

uint32_t gk_result_facet_count(const gk_result *result, size_t facet_index, size_t value_index) {
    return result->facets[facet_index].values[value_index].second;
}

}  // extern "C"
