// The helpers are static inline in include/SimSupport.h; this file gives the target a body.
#include "SimSupport.h"
