#ifndef LIQSYNC_CLIBPQ_SHIM_H
#define LIQSYNC_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
