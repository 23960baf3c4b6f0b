/* kvcache.h — a model of a llama.cpp KV cache at the level of cells
 * (internal to fasv_scenario).
 *
 * Owns: which cell of which stream holds which (slot, position); where a
 * ubatch's tokens go (search from the head, wrap, reuse cells a sliding
 * window has masked for good); removal and shifting of positions; the
 * used_max_p1 ("high-water mark") each stream reports, from which n_kv is
 * derived. This is the state that makes n_kv after a prompt reuse or a
 * checkpoint restore differ from anything the reserve graphs saw.
 * Must not know: nodes, planners, devices, events.
 */
#ifndef FASV_SCN_KVCACHE_H
#define FASV_SCN_KVCACHE_H

#include <stdint.h>

typedef struct kv_cache {
    int64_t size;     /* cells per stream */
    int n_stream;
    int64_t window;   /* 0: global; else cells masked by the sliding window are reusable */
    int32_t *pos;     /* [n_stream * size]; -1 = empty */
    uint8_t *slot;    /* [n_stream * size] */
    int64_t *head;    /* [n_stream] where the next search starts */
    int64_t *hwm;     /* [n_stream] used_max_p1 */
    int64_t *used;    /* [n_stream] non-empty cells */
    int32_t *maxpos;  /* [n_stream * 256] largest position per slot, -1 if none (slot < 256) */
} kv_cache;

int kv_init(kv_cache *c, int64_t size, int n_stream, int64_t window);
void kv_free(kv_cache *c);
void kv_clear(kv_cache *c);

/* Place n tokens of slot at positions pos0.. in stream s (cells need not be
 * contiguous unless cont). Returns 0, or -1 when there are not enough usable
 * cells (nothing is changed then). */
int kv_place(kv_cache *c, int s, int slot, int64_t pos0, int64_t n, int cont);
/* Remove slot's cells with p0 <= pos < p1 (p0 < 0: from 0; p1 < 0: to the end). */
void kv_seq_rm(kv_cache *c, int s, int slot, int64_t p0, int64_t p1);
/* Add delta to the positions p0 <= pos < p1 (p1 < 0: to the end) of slot. */
void kv_seq_add(kv_cache *c, int s, int slot, int64_t p0, int64_t p1, int64_t delta);
/* Smallest position of slot in stream s, or -1. */
int64_t kv_pos_min(const kv_cache *c, int s, int slot);
int64_t kv_pos_max(const kv_cache *c, int s, int slot);
/* Cells of stream s a ubatch could use now (empty or masked for good). */
int64_t kv_usable(const kv_cache *c, int s);

/* n_kv of a graph viewing stream s: min(size, max(pad, PAD(hwm, pad))),
 * llama.cpp's get_n_kv with the padding policy pad. */
static inline int64_t kv_n_kv(const kv_cache *c, int s, int64_t pad) {
    int64_t h = c->hwm[s];
    int64_t p = pad > 1 ? (h + pad - 1) / pad * pad : h;
    if (p < pad) p = pad;
    if (p < 1) p = 1;
    return p < c->size ? p : c->size;
}

#endif
