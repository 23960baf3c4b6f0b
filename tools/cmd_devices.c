/* cmd_devices.c — `fasv devices`: the modeled GPU table. */
#include <string.h>

#include "cli.h"
#include "fasv/device.h"
#include "fasv/json.h"

static const char *k_help =
    "usage: fasv devices [--json]\n"
    "\n"
    "List the modeled GPUs: vendor, architecture, warp size, shared memory per\n"
    "block, matrix cores and the kernel families the built-in target compiles\n"
    "for each. --json prints the same as a JSON array.\n";

static void families(unsigned f, char *buf, size_t len) {
    static const struct {
        unsigned bit;
        const char *name;
    } fams[] = {{FASV_FAMBIT_VEC, "vec"}, {FASV_FAMBIT_TILE, "tile"}, {FASV_FAMBIT_SPLIT, "split"}, {FASV_FAMBIT_MMA, "mma"}};
    buf[0] = 0;
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++)
        if (f & fams[i].bit) {
            if (buf[0]) strncat(buf, ",", len - strlen(buf) - 1);
            strncat(buf, fams[i].name, len - strlen(buf) - 1);
        }
}

static void mc_types(unsigned t, char *buf, size_t len) {
    static const char *names[] = {"f16", "bf16", "i8", "fp8"};
    buf[0] = 0;
    for (int i = 0; i < 4; i++)
        if (t & (1u << i)) {
            if (buf[0]) strncat(buf, ",", len - strlen(buf) - 1);
            strncat(buf, names[i], len - strlen(buf) - 1);
        }
    if (!buf[0]) snprintf(buf, len, "-");
}

int cmd_devices(int argc, char **argv) {
    int json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(k_help, stdout);
            return FASV_EXIT_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else {
            return cli_usage_error("devices", "unknown argument '%s' (see --help)", argv[i]);
        }
    }
    int n;
    const fasv_device *d = fasv_devices(&n);
    char fam[64], mct[64];
    if (json) {
        fasv_json j;
        fasv_json_init(&j, stdout, 1);
        fasv_json_arr(&j);
        for (int i = 0; i < n; i++) {
            fasv_json_obj(&j);
            fasv_json_kstr(&j, "name", d[i].name);
            fasv_json_kstr(&j, "vendor", fasv_vendor_name(d[i].vendor));
            fasv_json_kstr(&j, "arch", d[i].arch);
            fasv_json_kstr(&j, "product", d[i].product);
            fasv_json_kint(&j, "warp_size", d[i].warp_size);
            fasv_json_kint(&j, "smem_per_block", d[i].smem_per_block);
            fasv_json_kint(&j, "smem_per_sm", d[i].smem_per_sm);
            fasv_json_kint(&j, "n_sm", d[i].n_sm);
            fasv_json_kbool(&j, "fast_fp16", d[i].fast_fp16);
            fasv_json_kstr(&j, "matrix_cores", fasv_mc_name(d[i].mc));
            fasv_json_key(&j, "matrix_core_types");
            fasv_json_arr(&j);
            static const char *names[] = {"f16", "bf16", "i8", "fp8"};
            for (int b = 0; b < 4; b++)
                if (d[i].mc_types & (1u << b)) fasv_json_str(&j, names[b]);
            fasv_json_end(&j);
            fasv_json_key(&j, "families");
            fasv_json_arr(&j);
            static const char *fn[] = {"none", "vec", "tile", "split", "mma"};
            for (int b = 1; b < 5; b++)
                if (d[i].families & (1u << b)) fasv_json_str(&j, fn[b]);
            fasv_json_end(&j);
            fasv_json_end(&j);
        }
        fasv_json_end(&j);
        fasv_json_done(&j);
        return FASV_EXIT_OK;
    }
    printf("%-8s %-7s %-14s %-22s %4s %9s %4s %-5s %-16s %s\n", "name", "vendor", "arch", "product", "warp",
           "smem/blk", "SMs", "mc", "mc types", "families");
    for (int i = 0; i < n; i++) {
        families(d[i].families, fam, sizeof fam);
        mc_types(d[i].mc_types, mct, sizeof mct);
        printf("%-8s %-7s %-14s %-22s %4d %8dK %4d %-5s %-16s %s\n", d[i].name, fasv_vendor_name(d[i].vendor),
               d[i].arch, d[i].product, d[i].warp_size, d[i].smem_per_block / 1024, d[i].n_sm, fasv_mc_name(d[i].mc),
               mct, fam);
    }
    return FASV_EXIT_OK;
}
