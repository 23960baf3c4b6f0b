/* kernels/fa_mma.hip — the MMA family's instances (see fa_instances.h):
 * tensor-core kernels under nvcc, table entries without kernels under hipcc. */
#define FA_FAMILY_mma
#include "fa_instances.h"
