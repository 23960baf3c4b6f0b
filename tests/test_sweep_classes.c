/* test_sweep_classes.c — the shape classes of the built-in planner
 * (kernels/classes.c) are a partition the planner cannot see inside:
 *  1. the head-size classes cover every pair and their representatives
 *     belong to them; the envelope agrees with the class's inside flag;
 *  2. every class's representative is legal and falls in its own class on
 *     every device (class -> representative -> class is the identity);
 *  3. for many random concrete nodes (fasv_random_case), the planner's route
 *     equals the route of the node's class representative — in every side
 *     variant of the representative (mask kinds, flags, layouts), which shows
 *     the planner does not read those either. Routes are compared on every
 *     field the planner decides per class; n_split and scratch are sizes
 *     computed from the concrete n_kv and grid and are compared as "split or
 *     not" (docs/sweep.md).
 * The third check is independent of the classes' own code: it runs the
 * planner on the concrete node itself. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fasv/build.h"
#include "fasv/props.h"
#include "kernels/classes.h"
#include "kernels/planner.h"

static void test_head_partition(void) {
    int nh;
    const fasv_head_class *h = fasv_head_classes(&nh);
    CHECK(nh == FASV_CL_HEADS);
    int hit[FASV_CL_HEADS] = {0};
    for (int64_t dk = 1; dk <= 700; dk++)
        for (int64_t dv = 1; dv <= 700; dv++) {
            int c = fasv_head_class_of(dk, dv);
            CHECKF(c >= 0 && c < nh, "(%lld,%lld) has no class", (long long)dk, (long long)dv);
            if (c < 0 || c >= nh) continue;
            hit[c]++;
            /* the class fixes what the planner and the legality rules read */
            int inside = dk % 8 == 0 && dv % 8 == 0 && dk <= 576 && dv <= 512;
            CHECKF(inside == h[c].inside, "(%lld,%lld) inside=%d but class %s", (long long)dk, (long long)dv, inside,
                   h[c].label);
            if (inside) {
                CHECK(fasv_plan_bucket(dk, dv) == fasv_plan_bucket(h[c].dk, h[c].dv));
                CHECK((dk % 32 == 0) == (h[c].dk % 32 == 0) && (dv % 32 == 0) == (h[c].dv % 32 == 0));
                int vec = dk == dv && (dk == 64 || dk == 128 || dk == 256);
                int rvec = h[c].dk == h[c].dv && (h[c].dk == 64 || h[c].dk == 128 || h[c].dk == 256);
                CHECK(vec == rvec);
            }
        }
    for (int c = 0; c < nh; c++) {
        CHECKF(hit[c] > 0, "class %s is empty", h[c].label);
        CHECKF(fasv_head_class_of(h[c].dk, h[c].dv) == c, "representative of %s is not in it", h[c].label);
    }
    /* every real model's pair is inside */
    for (int i = 0; i < fasv_model_head_pairs_count; i++)
        CHECK(h[fasv_head_class_of(fasv_model_head_pairs[i][0], fasv_model_head_pairs[i][1])].inside);
}

static void test_round_trip(void) {
    int nd;
    const fasv_device *ds = fasv_devices(&nd);
    int64_t space = fasv_class_space(), legal = 0, tried = 0;
    int sides[FASV_CL_SIDE] = {0};
    /* A stride coprime with every axis size visits every coordinate value. */
    for (int64_t idx = 0; idx < space; idx += 97) {
        fasv_class c, back;
        int rc = fasv_class_at(idx, &c);
        tried++;
        CHECK(fasv_class_index(&c) == idx);
        fasv_node n;
        if (rc != 0) {
            CHECK(fasv_class_repr(&c, &n) != 0);
            continue;
        }
        legal++;
        sides[c.side]++;
        CHECK(fasv_class_repr(&c, &n) == 0);
        char why[256], cs[256];
        fasv_class_format(&c, cs, sizeof cs);
        CHECKF(fasv_node_check(&n, why, sizeof why) == FASV_LEGAL, "%s: %s", cs, why);
        for (int d = 0; d < nd; d++) {
            fasv_class_of(&ds[d], &n, &back);
            CHECKF(fasv_class_equal(&c, &back), "class %s does not round-trip on %s", cs, ds[d].name);
        }
    }
    CHECK(legal > 5000 && tried > legal);
    for (int s = 0; s < FASV_CL_SIDE; s++) CHECKF(sides[s] > 0, "side variant %d never used", s);
}

/* Fields the planner decides per class. */
static int same_shape(const fasv_route *a, const fasv_route *b, char *diff, size_t len) {
#define DIFF(cond, what)                                   \
    if (!(cond)) {                                         \
        snprintf(diff, len, "%s differs", what);           \
        return 0;                                          \
    }
    DIFF(a->family == b->family, "family");
    DIFF(a->instance == b->instance && strcmp(a->key, b->key) == 0, "instance");
    DIFF(a->ncols1 == b->ncols1 && a->ncols2 == b->ncols2, "column split");
    DIFF(a->kv_tile == b->kv_tile, "kv_tile");
    DIFF(a->threads == b->threads, "threads");
    DIFF(a->smem_bytes == b->smem_bytes, "shared memory");
    DIFF(a->eff_type_k == b->eff_type_k && a->eff_type_v == b->eff_type_v, "effective types");
    DIFF((a->n_split > 1) == (b->n_split > 1), "split or not");
    DIFF((a->family == FASV_FAM_NONE) == (b->family == FASV_FAM_NONE), "NONE");
    return 1;
#undef DIFF
}

static void test_random_equivalence(void) {
    int nd;
    const fasv_device *ds = fasv_devices(&nd);
    const fasv_target *t = fasv_builtin_target();
    fasv_rng rng;
    fasv_rng_seed(&rng, 20240611);
    fasv_rand_opts o;
    memset(&o, 0, sizeof o); /* shapes only: real sizes, every layout */
    int nodes = 0, compared = 0, clean = 0, outside = 0, failures = 0;
    for (int i = 0; i < 3000; i++) {
        fasv_case cs;
        fasv_random_case(&rng, &o, &cs);
        const fasv_node *n = &cs.node;
        nodes++;
        for (int d = 0; d < nd; d++) {
            fasv_route r;
            fasv_plan(&ds[d], n, &r);
            fasv_finding f;
            fasv_verdict v = fasv_check_route(t, &ds[d], n, &f);
            CHECKF(v != FASV_VIOLATION, "random node %d on %s: %s", i, ds[d].name, f.detail);
            clean += v == FASV_CLEAN;
            outside += v == FASV_OUTSIDE;
            fasv_class c;
            fasv_class_of(&ds[d], n, &c);
            for (int s = 0; s < FASV_CL_SIDE; s++) {
                c.side = s;
                fasv_node rep;
                CHECK(fasv_class_repr(&c, &rep) == 0);
                fasv_route rr;
                fasv_plan(&ds[d], &rep, &rr);
                char diff[64];
                if (!same_shape(&r, &rr, diff, sizeof diff)) {
                    if (failures++ < 10) {
                        char cstr[256], a[512], b[512];
                        fasv_class_format(&c, cstr, sizeof cstr);
                        fasv_route_format(&r, a, sizeof a);
                        fasv_route_format(&rr, b, sizeof b);
                        CHECKF(0, "node %d on %s, class %s side %d: %s\n  node: %s\n  repr: %s", i, ds[d].name, cstr,
                               s, diff, a, b);
                    }
                }
                compared++;
            }
        }
    }
    CHECKF(failures == 0, "%d route mismatches", failures);
    CHECK(compared == nodes * nd * FASV_CL_SIDE);
    /* the generator reaches both sides of the envelope */
    CHECK(clean > 1000 && outside > 100);
}

int main(void) {
    test_head_partition();
    test_round_trip();
    test_random_equivalence();
    return check_report("test_sweep_classes");
}
