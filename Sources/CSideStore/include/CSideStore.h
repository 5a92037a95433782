// The side store's hot loops: decoding posting blocks and checking phrase positions. Plain C
// over memory-mapped segments (see Index/SCHEMA.md, "Side store"); no allocation, no errors: the
// caller passes buffers large enough and bounds every read by `limit`.
#ifndef GONGKAI_CSIDESTORE_H
#define GONGKAI_CSIDESTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
    GK_SIDE_WDF = 1,
    GK_SIDE_POSITIONS = 2,
};

/// Decodes the blocks `blocks[0..block_count)` of one term's postings (`start`: the term's block
/// index, then its blocks; `count` documents in all). A block holds a byte of bit width and the
/// docid gaps less one bit-packed at it, then (GK_SIDE_WDF) a width and the wdf less one, then
/// (GK_SIDE_POSITIONS) each document's positions as varint deltas. Writes per document its relative docid and
/// wdf (0 without GK_SIDE_WDF) and, when `positions` is not NULL and the term has positions, where
/// the document's positions start. Returns the number of documents written.
size_t gk_side_decode(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                      const int32_t *blocks, size_t block_count,
                      uint32_t *docids, uint32_t *wdf, const uint8_t **positions);

/// One part of a phrase: its documents (sorted relative docids), their wdf, and their positions:
/// either varint-coded deltas from `encoded[row]` (a term's, read up to `limit`), or `merged`
/// from `merged_starts[row]` to `merged_starts[row + 1]` (a character prefix's union).
typedef struct gk_phrase_part {
    const uint32_t *docids;
    size_t count;
    const uint32_t *wdf;
    const uint8_t *const *encoded;
    const uint8_t *limit;
    const uint32_t *merged;
    const size_t *merged_starts;
} gk_phrase_part;

/// The candidates (sorted; every part holds each) where part i stands at position p + i for some
/// position p of part 0. Writes them to `matches` and, per match, each part's row to
/// `rows[match * part_count + part]`. `scratch` holds at least the largest wdf of part 0.
/// Returns the number of matches.
size_t gk_phrase_check(const gk_phrase_part *parts, size_t part_count, const uint32_t *candidates,
                       size_t candidate_count, uint32_t *matches, uint32_t *rows, uint32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif
