#include "CSideStore.h"

// Unsigned LEB128, never reading at or past `limit`.
static inline uint32_t read_varint(const uint8_t **cursor, const uint8_t *limit) {
    const uint8_t *p = *cursor;
    if (p < limit && *p < 0x80) {
        *cursor = p + 1;
        return *p;
    }
    uint32_t value = 0;
    unsigned shift = 0;
    while (p < limit) {
        uint8_t byte = *p++;
        value |= (uint32_t)(byte & 0x7F) << shift;
        if (byte < 0x80 || shift >= 28) break;
        shift += 7;
    }
    *cursor = p;
    return value;
}

static inline void skip_varint(const uint8_t **cursor, const uint8_t *limit) {
    const uint8_t *p = *cursor;
    while (p < limit && (*p++ & 0x80)) {}
    *cursor = p;
}

static inline uint32_t load_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#define BLOCK_SIZE 128

// Reads `n` values of `width` bits (LSB first) from `*cursor`, moving it past them.
static inline void unpack(const uint8_t **cursor, const uint8_t *limit, unsigned width, size_t n, uint32_t *out) {
    const uint8_t *p = *cursor;
    if (width == 0) {
        for (size_t i = 0; i < n; ++i) out[i] = 0;
        return;
    }
    uint64_t buffer = 0;
    unsigned held = 0;
    uint64_t mask = width >= 32 ? 0xFFFFFFFFu : (((uint64_t)1 << width) - 1);
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
    size_t bytes = (n * width + 7) / 8;
    *cursor += bytes;
}

size_t gk_side_decode(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                      const int32_t *blocks, size_t block_count,
                      uint32_t *docids, uint32_t *wdf, const uint8_t **positions) {
    size_t total_blocks = (count + BLOCK_SIZE - 1) / BLOCK_SIZE;
    const uint8_t *data = start + total_blocks * 8;
    size_t row = 0;
    size_t next_block = 0;  // the block whose data starts at `data`
    for (size_t b = 0; b < block_count; ++b) {
        size_t block = (size_t)blocks[b];
        while (next_block < block) {
            data += load_u32(start + next_block * 8 + 4);
            ++next_block;
        }
        const uint8_t *end = data + load_u32(start + block * 8 + 4);
        if (end > limit || end < data) end = limit;
        size_t n = count - block * BLOCK_SIZE;
        if (n > BLOCK_SIZE) n = BLOCK_SIZE;
        const uint8_t *cursor = data;
        uint32_t docid = block == 0 ? 0 : load_u32(start + (block - 1) * 8);
        // Docid gaps less one, then wdf less one, each bit-packed at the block's width.
        unsigned width = cursor < end ? *cursor++ : 0;
        unpack(&cursor, end, width, n, docids + row);
        for (size_t i = 0; i < n; ++i) {
            docid += docids[row + i] + 1;
            docids[row + i] = docid;
        }
        if (flags & GK_SIDE_WDF) {
            width = cursor < end ? *cursor++ : 0;
            unpack(&cursor, end, width, n, wdf + row);
            for (size_t i = 0; i < n; ++i) wdf[row + i] += 1;
        } else {
            for (size_t i = 0; i < n; ++i) wdf[row + i] = 0;
        }
        if (positions != NULL && (flags & GK_SIDE_POSITIONS)) {
            for (size_t i = 0; i < n; ++i) {
                positions[row + i] = cursor;
                for (uint32_t k = 0; k < wdf[row + i]; ++k) skip_varint(&cursor, end);
            }
        }
        row += n;
        data = end;
        next_block = block + 1;
    }
    return row;
}

size_t gk_phrase_check(const gk_phrase_part *parts, size_t part_count, const uint32_t *candidates,
                       size_t candidate_count, uint32_t *matches, uint32_t *rows, uint32_t *scratch) {
    size_t cursors[64];
    if (part_count > 64) return 0;
    for (size_t p = 0; p < part_count; ++p) cursors[p] = 0;
    size_t found = 0;
    for (size_t c = 0; c < candidate_count; ++c) {
        uint32_t docid = candidates[c];
        for (size_t p = 0; p < part_count; ++p) {
            size_t r = cursors[p];
            while (r < parts[p].count && parts[p].docids[r] < docid) ++r;
            cursors[p] = r;
        }
        // Positions of part 0 that still may start the phrase.
        size_t kept = 0;
        const gk_phrase_part *first = &parts[0];
        size_t r0 = cursors[0];
        if (first->encoded != NULL) {
            const uint8_t *cursor = first->encoded[r0];
            uint32_t position = 0;
            for (uint32_t k = 0; k < first->wdf[r0]; ++k) {
                position += read_varint(&cursor, first->limit);
                scratch[kept++] = position;
            }
        } else {
            for (size_t k = first->merged_starts[r0]; k < first->merged_starts[r0 + 1]; ++k) scratch[kept++] = first->merged[k];
        }
        for (size_t i = 1; i < part_count && kept > 0; ++i) {
            const gk_phrase_part *part = &parts[i];
            size_t r = cursors[i];
            size_t retained = 0;
            if (part->encoded != NULL) {
                const uint8_t *cursor = part->encoded[r];
                uint32_t remaining = part->wdf[r];
                uint32_t position = 0;
                int have = 0;
                for (size_t k = 0; k < kept; ++k) {
                    uint32_t want = scratch[k] + (uint32_t)i;
                    while ((!have || position < want) && remaining > 0) {
                        position += read_varint(&cursor, part->limit);
                        --remaining;
                        have = 1;
                    }
                    if (have && position == want) scratch[retained++] = scratch[k];
                }
            } else {
                size_t j = part->merged_starts[r], end = part->merged_starts[r + 1];
                for (size_t k = 0; k < kept; ++k) {
                    uint32_t want = scratch[k] + (uint32_t)i;
                    while (j < end && part->merged[j] < want) ++j;
                    if (j < end && part->merged[j] == want) scratch[retained++] = scratch[k];
                }
            }
            kept = retained;
        }
        if (kept == 0) continue;
        matches[found] = docid;
        for (size_t p = 0; p < part_count; ++p) rows[found * part_count + p] = (uint32_t)cursors[p];
        ++found;
    }
    return found;
}
