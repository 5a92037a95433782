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
/// (GK_SIDE_POSITIONS) a width and every document's positions, each document's first position
/// and then the gaps to its next ones. Writes per document its relative docid and, unless `wdf`
/// is NULL, its wdf (0 without GK_SIDE_WDF); returns the number of documents written.
size_t gk_side_decode(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                      const int32_t *blocks, size_t block_count, uint32_t *docids, uint32_t *wdf);

/// The row of each of `wanted` (sorted, each one of `docids`) in `docids` (sorted, `count`).
void gk_side_find_rows(const uint32_t *docids, size_t count, const uint32_t *wanted, size_t wanted_count,
                       uint32_t *rows);

/// Where the positions of some of the documents decoded from `blocks` (by `gk_side_decode`) lie,
/// from the blocks alone (their wdf need not have been decoded): `rows` (sorted, `row_count`)
/// among those documents, where `block_rows[b]` is the row of block `b`'s first document. Writes
/// per wanted row, at its index in `rows`, its wdf, its block's packed positions, their bit width
/// and the index of its first position among them.
void gk_side_locate_rows(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                         const int32_t *blocks, const uint32_t *block_rows, size_t block_count, const uint32_t *rows,
                         size_t row_count, uint32_t *row_wdf, const uint8_t **row_data, uint8_t *row_width,
                         uint32_t *row_first);

/// One document's positions as located by `gk_side_locate_rows` (`count`: its wdf) into `out`.
void gk_side_read_positions(const uint8_t *data, const uint8_t *limit, unsigned width, uint32_t first, uint32_t count,
                            uint32_t *out);

/// One part of a phrase: its documents (sorted relative docids) and their positions, either
/// located in the segment (`row_data`, `row_width`, `row_first`, `wdf`, read up to `limit`; see
/// `gk_side_locate_rows`) or laid out in `positions`, document `row`'s from `starts[row]` to
/// `starts[row + 1]` (a character prefix's union).
typedef struct gk_phrase_part {
    const uint32_t *docids;
    size_t count;
    const uint32_t *wdf;
    const uint8_t *const *row_data;
    const uint8_t *row_width;
    const uint32_t *row_first;
    const uint8_t *limit;
    const uint32_t *positions;
    const size_t *starts;
} gk_phrase_part;

/// The candidates (sorted; every part holds each) where part i stands at position p + i for some
/// position p of part 0. Writes them to `matches` and, per match, each part's row to
/// `rows[match * part_count + part]`. `scratch` holds at least the most positions part 0 has in a
/// document. Candidates also in `proven` (sorted; may be empty) are known to hold the phrase: they
/// match without their positions being read. Returns the number of matches.
size_t gk_phrase_check(const gk_phrase_part *parts, size_t part_count, const uint32_t *candidates,
                       size_t candidate_count, const uint32_t *proven, size_t proven_count, uint32_t *matches,
                       uint32_t *rows, uint32_t *scratch);

#ifdef __cplusplus
}
#endif

#endif
