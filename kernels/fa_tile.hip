/* kernels/fa_tile.hip — the TILE family's instances (see fa_instances.h). */
#define FA_FAMILY_tile
#include "fa_instances.h"
