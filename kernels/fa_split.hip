/* kernels/fa_split.hip — the SPLIT family's instances (see fa_instances.h). */
#define FA_FAMILY_split
#define FA_DEFINE_KERNELS /* fa_combine_kernel lives here */
#include "fa_instances.h"
const fa_kernel_fn fa_combine_fn = fa_combine_kernel;
