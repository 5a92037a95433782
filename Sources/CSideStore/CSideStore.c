#include "CSideStore.h"

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

// The start of a block's data, and its end, walking the block index from `*walked`/`*data`.
static inline const uint8_t *block_data(const uint8_t *start, const uint8_t *limit, size_t block, size_t *walked,
                                        const uint8_t **data, const uint8_t **end) {
    while (*walked < block) {
        *data += load_u32(start + *walked * 8 + 4);
        ++*walked;
    }
    const uint8_t *e = *data + load_u32(start + block * 8 + 4);
    if (e > limit || e < *data) e = limit;
    *end = e;
    return *data;
}

static inline size_t block_documents(uint32_t count, size_t block) {
    size_t n = count - block * BLOCK_SIZE;
    return n > BLOCK_SIZE ? BLOCK_SIZE : n;
}

size_t gk_side_decode(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                      const int32_t *blocks, size_t block_count, uint32_t *docids, uint32_t *wdf) {
    size_t total_blocks = (count + BLOCK_SIZE - 1) / BLOCK_SIZE;
    const uint8_t *data = start + total_blocks * 8;
    size_t walked = 0, row = 0;
    for (size_t b = 0; b < block_count; ++b) {
        size_t block = (size_t)blocks[b];
        const uint8_t *end;
        const uint8_t *cursor = block_data(start, limit, block, &walked, &data, &end);
        size_t n = block_documents(count, block);
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
        row += n;
    }
    return row;
}

void gk_side_decode_positions(const uint8_t *start, const uint8_t *limit, uint32_t count, uint32_t flags,
                              const int32_t *blocks, size_t block_count, const uint32_t *wdf, uint32_t *positions) {
    if (!(flags & GK_SIDE_POSITIONS) || !(flags & GK_SIDE_WDF)) return;
    size_t total_blocks = (count + BLOCK_SIZE - 1) / BLOCK_SIZE;
    const uint8_t *data = start + total_blocks * 8;
    size_t walked = 0, row = 0, k = 0;
    for (size_t b = 0; b < block_count; ++b) {
        size_t block = (size_t)blocks[b];
        const uint8_t *end;
        const uint8_t *cursor = block_data(start, limit, block, &walked, &data, &end);
        size_t n = block_documents(count, block);
        // Past the docid gaps and the wdf to the positions.
        unsigned width = cursor < end ? *cursor++ : 0;
        cursor += (n * width + 7) / 8;
        width = cursor < end ? *cursor++ : 0;
        cursor += (n * width + 7) / 8;
        size_t total = 0;
        for (size_t i = 0; i < n; ++i) total += wdf[row + i];
        width = cursor < end ? *cursor++ : 0;
        unpack(&cursor, end, width, total, positions + k);
        // Each document's first position stands as it is, the others as gaps from the one before.
        for (size_t i = 0; i < n; ++i) {
            uint32_t position = 0;
            for (uint32_t j = 0; j < wdf[row + i]; ++j, ++k) {
                position += positions[k];
                positions[k] = position;
            }
        }
        row += n;
    }
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
        for (size_t k = first->starts[cursors[0]]; k < first->starts[cursors[0] + 1]; ++k) scratch[kept++] = first->positions[k];
        for (size_t i = 1; i < part_count && kept > 0; ++i) {
            const gk_phrase_part *part = &parts[i];
            size_t j = part->starts[cursors[i]], end = part->starts[cursors[i] + 1];
            size_t retained = 0;
            for (size_t k = 0; k < kept; ++k) {
                uint32_t want = scratch[k] + (uint32_t)i;
                while (j < end && part->positions[j] < want) ++j;
                if (j < end && part->positions[j] == want) scratch[retained++] = scratch[k];
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
