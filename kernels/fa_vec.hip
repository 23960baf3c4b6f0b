/* kernels/fa_vec.hip — the VEC family's instances (see fa_instances.h). */
#define FA_FAMILY_vec
#include "fa_instances.h"
