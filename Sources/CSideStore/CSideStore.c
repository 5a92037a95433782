#include "CSideStore.h"

#include <stdbool.h>
#include <string.h>

static inline uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define BLOCK_SIZE 128

// `n` values of `width` (1...32) bits from `p`, which has 8 readable bytes past their last. Eight
// values fill `width` bytes, so in groups of eight every value's byte and shift are constants.
static inline __attribute__((always_inline)) void unpack_fixed(const uint8_t *p, size_t n, const unsigned width,
                                                               uint32_t *out) {
    const uint64_t mask = width >= 32 ? 0xFFFFFFFFu : (((uint64_t)1 << width) - 1);
    size_t i = 0;
    for (; i + 8 <= n; i += 8, p += width) {
        for (unsigned k = 0; k < 8; ++k) {
            uint64_t word;
            memcpy(&word, p + ((k * width) >> 3), 8);
            out[i + k] = (uint32_t)((word >> ((k * width) & 7)) & mask);
        }
    }
    for (size_t bit = 0; i < n; ++i, bit += width) {
        uint64_t word;
        memcpy(&word, p + (bit >> 3), 8);
        out[i] = (uint32_t)((word >> (bit & 7)) & mask);
    }
}

// Reads `n` values of `width` bits (LSB first) from `*cursor`, moving it past them.
static inline void unpack(const uint8_t **cursor, const uint8_t *limit, unsigned width, size_t n, uint32_t *out) {
    const uint8_t *p = *cursor;
    size_t bytes = (n * width + 7) / 8;
    *cursor = p + bytes;
    if (width == 0) {
        memset(out, 0, n * sizeof(uint32_t));
        return;
    }
    uint64_t mask = width >= 32 ? 0xFFFFFFFFu : (((uint64_t)1 << width) - 1);
    if (width <= 32 && p + bytes + 8 <= limit) {
        // One copy of the loop per width, so that every shift is a constant.
        switch (width) {
#define GK_UNPACK_WIDTH(W) case W: unpack_fixed(p, n, W, out); return;
            GK_UNPACK_WIDTH(1) GK_UNPACK_WIDTH(2) GK_UNPACK_WIDTH(3) GK_UNPACK_WIDTH(4) GK_UNPACK_WIDTH(5)
            GK_UNPACK_WIDTH(6) GK_UNPACK_WIDTH(7) GK_UNPACK_WIDTH(8) GK_UNPACK_WIDTH(9) GK_UNPACK_WIDTH(10)
            GK_UNPACK_WIDTH(11) GK_UNPACK_WIDTH(12) GK_UNPACK_WIDTH(13) GK_UNPACK_WIDTH(14) GK_UNPACK_WIDTH(15)
            GK_UNPACK_WIDTH(16) GK_UNPACK_WIDTH(17) GK_UNPACK_WIDTH(18) GK_UNPACK_WIDTH(19) GK_UNPACK_WIDTH(20)
#undef GK_UNPACK_WIDTH
        default: break;
        }
        // Each value lies within the 8 bytes from its first byte (32 bits + 7 of offset).
        size_t bit = 0;
        for (size_t i = 0; i < n; ++i, bit += width) {
            uint64_t word;
            memcpy(&word, p + (bit >> 3), 8);
            out[i] = (uint32_t)((word >> (bit & 7)) & mask);
        }
        return;
    }
    // Near the end of the mapping: byte by byte, never reading past `limit`.
    uint64_t buffer = 0;
    unsigned held = 0;
    for (size_t i = 0; i < n; ++i) {
        while (held < width) {
            buffer |= (uint64_t)(p < limit ? *p : 0) << held;
            ++p;
            held += 8;
        }
        out[i] = (uint32_t)(buffer & mask);
        buffer >>= width;
        held -= width;
    }
}

// Walks a term's blocks forward from its block index: where each block's data starts and ends.
typedef struct block_walk {
    const uint8_t *start, *limit, *data;
    size_t walked;
    uint32_t count;
} block_walk;

static inline block_walk walk_begin(const uint8_t *start, const uint8_t *limit, uint32_t count) {
    block_walk w = {start, limit, start + ((count + BLOCK_SIZE - 1) / BLOCK_SIZE) * 8, 0, count};
    return w;
}

// The data of `block` (not before the last one walked to), its end, and its documents.
static inline const uint8_t *walk_to(block_walk *w, size_t block, const uint8_t **end, size_t *documents) {
    while (w->walked < block) {
        w->data += load_u32(w->start + w->walked * 8 + 4);
        ++w->walked;
    }
    const uint8_t *e = w->data + load_u32(w->start + block * 8 + 4);
    *end = (e > w->limit || e < w->data) ? w->limit : e;
    size_t n = w->count - block * BLOCK_SIZE;
    *documents = n > BLOCK_SIZE ? BLOCK_SIZE : n;
    return w->data;
}

size_t gk_side_decode(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                      const int32_t *blocks, size_t block_count, uint32_t *docids, uint32_t *wdf) {
    block_walk walk = walk_begin(start, limit, count);
    size_t row = 0;
    for (size_t b = 0; b < block_count; ++b) {
        size_t block = (size_t)blocks[b], n;
        const uint8_t *end;
        const uint8_t *cursor = walk_to(&walk, block, &end, &n);
        uint32_t docid = block == 0 ? 0 : load_u32(start + (block - 1) * 8);
        // Docid gaps less one, then wdf less one, each bit-packed at the block's width.
        unsigned width = cursor < end ? *cursor++ : 0;
        unpack(&cursor, end, width, n, docids + row);
        for (size_t i = 0; i < n; ++i) {
            docid += docids[row + i] + 1;
            docids[row + i] = docid;
        }
        if (wdf == NULL) {
            // Not wanted: the block's wdf (if any) is not read.
        } else if (flags & GK_SIDE_WDF) {
            width = cursor < end ? *cursor++ : 0;
            unpack(&cursor, end, width, n, wdf + row);
            for (size_t i = 0; i < n; ++i) wdf[row + i] += 1;
        } else {
            for (size_t i = 0; i < n; ++i) wdf[row + i] = 0;
        }
        row += n;
    }
    return row;
}

void gk_side_find_rows(const uint32_t *docids, size_t count, const uint32_t *wanted, size_t wanted_count,
                       uint32_t *rows) {
    size_t r = 0;
    for (size_t j = 0; j < wanted_count; ++j) {
        uint32_t docid = wanted[j];
        if (docids[r] < docid) {
            // Gallop from the last row found, then halve: a step or two when the wanted docids are
            // dense among these, few steps per docid when they are sparse.
            size_t low = r + 1, high = r + 1, step = 1;
            while (high < count && docids[high] < docid) {
                low = high + 1;
                high += step;
                step <<= 1;
            }
            if (high >= count) high = count - 1;
            while (low < high) {
                size_t mid = low + (high - low) / 2;
                if (docids[mid] < docid) low = mid + 1; else high = mid;
            }
            r = low;
        }
        rows[j] = (uint32_t)r;
    }
}

void gk_side_locate_rows(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                         const int32_t *blocks, const uint32_t *block_rows, size_t block_count, const uint32_t *rows,
                         size_t row_count, uint32_t *row_wdf, const uint8_t **row_data, uint8_t *row_width,
                         uint32_t *row_first) {
    if (!(flags & GK_SIDE_POSITIONS) || !(flags & GK_SIDE_WDF)) return;
    block_walk walk = walk_begin(start, limit, count);
    uint32_t wdf[BLOCK_SIZE];
    size_t j = 0;
    for (size_t b = 0; b < block_count && j < row_count; ++b) {
        size_t first_row = block_rows[b];
        size_t next_row = b + 1 < block_count ? block_rows[b + 1] : (size_t)-1;
        if (rows[j] >= next_row) continue;
        size_t block = (size_t)blocks[b], n;
        const uint8_t *end;
        const uint8_t *cursor = walk_to(&walk, block, &end, &n);
        // Past the docid gaps, the wdf (read: where a document's positions start depends on the
        // wdf of those before it) to the positions.
        unsigned width = cursor < end ? *cursor++ : 0;
        cursor += (n * width + 7) / 8;
        width = cursor < end ? *cursor++ : 0;
        // Width 0: every wdf in the block is 1, and a document's first position is its row's.
        bool all_once = width == 0;
        unpack(&cursor, end, width, all_once ? 0 : n, wdf);
        width = cursor < end ? *cursor++ : 0;
        size_t row = first_row;
        uint32_t first = 0;
        for (; j < row_count && rows[j] < next_row; ++j) {
            if (all_once) {
                row = rows[j];
                row_wdf[j] = 1;
                first = (uint32_t)(row - first_row);
            } else {
                while (row < rows[j]) first += wdf[row++ - first_row] + 1;
                row_wdf[j] = wdf[row - first_row] + 1;
            }
            row_data[j] = cursor;
            row_width[j] = (uint8_t)width;
            row_first[j] = first;
        }
    }
}

// The value at `index` of values packed at `width` bits from `data`, reading nothing at or past `limit`.
static inline uint32_t packed_value(const uint8_t *data, const uint8_t *limit, unsigned width, size_t index) {
    if (width == 0) return 0;
    size_t bit = index * width;
    const uint8_t *p = data + (bit >> 3);
    uint64_t word = 0;
    if (p + 8 <= limit) {
        memcpy(&word, p, 8);
    } else {
        for (unsigned k = 0; k < 8 && p + k < limit; ++k) word |= (uint64_t)p[k] << (8 * k);
    }
    uint64_t mask = width >= 32 ? 0xFFFFFFFFu : (((uint64_t)1 << width) - 1);
    return (uint32_t)((word >> (bit & 7)) & mask);
}

void gk_side_read_positions(const uint8_t *data, const uint8_t *limit, unsigned width, uint32_t first, uint32_t count,
                            uint32_t *out) {
    uint32_t position = 0;
    for (uint32_t k = 0; k < count; ++k) {
        position += packed_value(data, limit, width, first + k);
        out[k] = position;
    }
}

// Reads a document's positions, one at a time, whichever way its part holds them.
typedef struct position_reader {
    const gk_phrase_part *part;
    size_t row;
    uint32_t index, count, position;
} position_reader;

static inline void reader_start(position_reader *r, const gk_phrase_part *part, size_t row) {
    r->part = part;
    r->row = row;
    r->index = 0;
    r->position = 0;
    r->count = part->row_data != NULL ? part->wdf[row] : (uint32_t)(part->starts[row + 1] - part->starts[row]);
}

// The next position, or 0 when there are no more (positions start at 1).
static inline uint32_t reader_next(position_reader *r) {
    if (r->index >= r->count) return 0;
    const gk_phrase_part *part = r->part;
    uint32_t k = r->index++;
    if (part->row_data == NULL) return part->positions[part->starts[r->row] + k];
    // A document's first position stands as it is, the next ones as gaps from the one before.
    r->position += packed_value(part->row_data[r->row], part->limit, part->row_width[r->row], part->row_first[r->row] + k);
    return r->position;
}

// Whether part i stands at position p + i, for some position p of part 0, in the document at each
// part's row `rows[i]`.
static bool holds_phrase(const gk_phrase_part *parts, size_t part_count, const size_t *rows, uint32_t *scratch) {
    position_reader reader;
    // Positions of part 0 that still may start the phrase.
    size_t kept = 0;
    reader_start(&reader, &parts[0], rows[0]);
    for (uint32_t position; (position = reader_next(&reader)) != 0;) scratch[kept++] = position;
    for (size_t i = 1; i < part_count && kept > 0; ++i) {
        reader_start(&reader, &parts[i], rows[i]);
        uint32_t position = reader_next(&reader);
        size_t retained = 0;
        for (size_t k = 0; k < kept && position != 0; ++k) {
            uint32_t want = scratch[k] + (uint32_t)i;
            while (position != 0 && position < want) position = reader_next(&reader);
            if (position == want) scratch[retained++] = scratch[k];
        }
        kept = retained;
    }
    return kept > 0;
}

size_t gk_phrase_check(const gk_phrase_part *parts, size_t part_count, const uint32_t *candidates,
                       size_t candidate_count, const uint32_t *proven, size_t proven_count, uint32_t *matches,
                       uint32_t *rows, uint32_t *scratch) {
    size_t cursors[64];
    if (part_count > 64) return 0;
    for (size_t p = 0; p < part_count; ++p) cursors[p] = 0;
    size_t found = 0, proof = 0;
    for (size_t c = 0; c < candidate_count; ++c) {
        uint32_t docid = candidates[c];
        for (size_t p = 0; p < part_count; ++p) {
            size_t r = cursors[p];
            while (r < parts[p].count && parts[p].docids[r] < docid) ++r;
            cursors[p] = r;
        }
        while (proof < proven_count && proven[proof] < docid) ++proof;
        bool isProven = proof < proven_count && proven[proof] == docid;
        if (!isProven && !holds_phrase(parts, part_count, cursors, scratch)) continue;
        matches[found] = docid;
        for (size_t p = 0; p < part_count; ++p) rows[found * part_count + p] = (uint32_t)cursors[p];
        ++found;
    }
    return found;
}
