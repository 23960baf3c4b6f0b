/* kvcache.c — the cell-level KV cache model. See kvcache.h.
 *
 * The behaviour follows llama.cpp's llama_kv_cache as documented by its code
 * (find_slot, seq_rm, seq_add, get_n_kv); written here from that description:
 *  - a ubatch's tokens go to usable cells found from the stream's head
 *    onwards, wrapping once; the head restarts at 0 when more than twice the
 *    ubatch of cells below it are free; afterwards head = last cell used + 1;
 *  - a cell is usable when empty, or, in a sliding-window cache, when its
 *    position is masked for every later token of its sequence
 *    (pos_max(seq) + 1 - pos >= window);
 *  - removing positions empties their cells and pulls the head back to the
 *    first freed cell; used_max_p1 is one past the last non-empty cell.
 */
#include "kvcache.h"

#include <stdlib.h>
#include <string.h>

#define KV_SLOTS 256

int kv_init(kv_cache *c, int64_t size, int n_stream, int64_t window) {
    memset(c, 0, sizeof *c);
    if (size < 1 || n_stream < 1) return -1;
    c->size = size;
    c->n_stream = n_stream;
    c->window = window;
    size_t cells = (size_t)size * (size_t)n_stream;
    c->pos = malloc(cells * sizeof *c->pos);
    c->slot = malloc(cells);
    c->head = calloc((size_t)n_stream, sizeof *c->head);
    c->hwm = calloc((size_t)n_stream, sizeof *c->hwm);
    c->used = calloc((size_t)n_stream, sizeof *c->used);
    c->maxpos = malloc((size_t)n_stream * KV_SLOTS * sizeof *c->maxpos);
    if (!c->pos || !c->slot || !c->head || !c->hwm || !c->used || !c->maxpos) {
        kv_free(c);
        return -1;
    }
    kv_clear(c);
    return 0;
}

void kv_free(kv_cache *c) {
    free(c->pos);
    free(c->slot);
    free(c->head);
    free(c->hwm);
    free(c->used);
    free(c->maxpos);
    memset(c, 0, sizeof *c);
}

void kv_clear(kv_cache *c) {
    size_t cells = (size_t)c->size * (size_t)c->n_stream;
    for (size_t i = 0; i < cells; i++) c->pos[i] = -1;
    memset(c->slot, 0, cells);
    for (int s = 0; s < c->n_stream; s++) c->head[s] = c->hwm[s] = c->used[s] = 0;
    for (size_t i = 0; i < (size_t)c->n_stream * KV_SLOTS; i++) c->maxpos[i] = -1;
}

static int usable(const kv_cache *c, int s, int64_t idx) {
    size_t k = (size_t)s * (size_t)c->size + (size_t)idx;
    int32_t p = c->pos[k];
    if (p < 0) return 1;
    if (c->window <= 0) return 0;
    int32_t mp = c->maxpos[(size_t)s * KV_SLOTS + c->slot[k]];
    return (int64_t)mp + 1 - p >= c->window;
}

static void recompute(kv_cache *c, int s) {
    int32_t *pos = c->pos + (size_t)s * (size_t)c->size;
    uint8_t *sl = c->slot + (size_t)s * (size_t)c->size;
    int32_t *mp = c->maxpos + (size_t)s * KV_SLOTS;
    for (int i = 0; i < KV_SLOTS; i++) mp[i] = -1;
    int64_t used = 0, hwm = 0;
    for (int64_t i = 0; i < c->size; i++) {
        if (pos[i] < 0) continue;
        used++;
        hwm = i + 1;
        if (pos[i] > mp[sl[i]]) mp[sl[i]] = pos[i];
    }
    c->used[s] = used;
    c->hwm[s] = hwm;
}

int kv_place(kv_cache *c, int s, int slot, int64_t pos0, int64_t n, int cont) {
    if (n < 1) return 0;
    if (n > c->size || slot < 0 || slot >= KV_SLOTS) return -1;
    int64_t head = c->head[s];
    if (head > c->used[s] + 2 * n) head = 0;
    int64_t *idx = malloc((size_t)n * sizeof *idx);
    if (!idx) return -1;
    int64_t found = 0;
    if (!cont) {
        for (int64_t tested = 0; tested < c->size && found < n; tested++) {
            if (usable(c, s, head)) idx[found++] = head;
            if (++head == c->size) head = 0;
        }
    } else {
        int64_t tested = 0;
        while (tested < c->size) {
            if (head + n > c->size) {
                tested += c->size - head;
                head = 0;
                continue;
            }
            int64_t i = 0;
            while (i < n && usable(c, s, head + i)) i++;
            if (i == n) {
                for (int64_t j = 0; j < n; j++) idx[j] = head + j;
                found = n;
                break;
            }
            head += i + 1;
            tested += i + 1;
            if (head >= c->size) head = 0;
        }
    }
    if (found < n) {
        free(idx);
        return -1;
    }
    int32_t *pos = c->pos + (size_t)s * (size_t)c->size;
    uint8_t *sl = c->slot + (size_t)s * (size_t)c->size;
    int32_t *mp = c->maxpos + (size_t)s * KV_SLOTS;
    int stale = 0; /* a reused cell held its sequence's largest position */
    for (int64_t j = 0; j < n; j++) {
        int64_t i = idx[j];
        if (pos[i] < 0)
            c->used[s]++;
        else if (pos[i] == mp[sl[i]])
            stale = 1;
        pos[i] = (int32_t)(pos0 + j);
        sl[i] = (uint8_t)slot;
        if (i + 1 > c->hwm[s]) c->hwm[s] = i + 1;
        if (pos[i] > mp[slot]) mp[slot] = pos[i];
    }
    c->head[s] = idx[n - 1] + 1 == c->size ? 0 : idx[n - 1] + 1;
    free(idx);
    if (stale) recompute(c, s);
    return 0;
}

void kv_seq_rm(kv_cache *c, int s, int slot, int64_t p0, int64_t p1) {
    int32_t *pos = c->pos + (size_t)s * (size_t)c->size;
    uint8_t *sl = c->slot + (size_t)s * (size_t)c->size;
    int64_t first = -1;
    for (int64_t i = 0; i < c->size; i++) {
        if (pos[i] < 0 || sl[i] != slot) continue;
        if ((p0 < 0 || pos[i] >= p0) && (p1 < 0 || pos[i] < p1)) {
            pos[i] = -1;
            if (first < 0) first = i;
        }
    }
    if (first >= 0 && first < c->head[s]) c->head[s] = first;
    recompute(c, s);
}

void kv_seq_add(kv_cache *c, int s, int slot, int64_t p0, int64_t p1, int64_t delta) {
    int32_t *pos = c->pos + (size_t)s * (size_t)c->size;
    uint8_t *sl = c->slot + (size_t)s * (size_t)c->size;
    int64_t first = -1;
    for (int64_t i = 0; i < c->size; i++) {
        if (pos[i] < 0 || sl[i] != slot) continue;
        if (pos[i] >= p0 && (p1 < 0 || pos[i] < p1)) {
            int64_t np = pos[i] + delta;
            if (np < 0) {
                pos[i] = -1;
                if (first < 0) first = i;
            } else {
                pos[i] = (int32_t)np;
            }
        }
    }
    if (first >= 0 && first < c->head[s]) c->head[s] = first;
    recompute(c, s);
}

int64_t kv_pos_min(const kv_cache *c, int s, int slot) {
    const int32_t *pos = c->pos + (size_t)s * (size_t)c->size;
    const uint8_t *sl = c->slot + (size_t)s * (size_t)c->size;
    int64_t m = -1;
    for (int64_t i = 0; i < c->size; i++)
        if (pos[i] >= 0 && sl[i] == slot && (m < 0 || pos[i] < m)) m = pos[i];
    return m;
}

int64_t kv_pos_max(const kv_cache *c, int s, int slot) {
    if (slot < 0 || slot >= KV_SLOTS) return -1;
    return c->maxpos[(size_t)s * KV_SLOTS + slot];
}

int64_t kv_usable(const kv_cache *c, int s) {
    int64_t n = 0;
    for (int64_t i = 0; i < c->size; i++) n += usable(c, s, i);
    return n;
}
