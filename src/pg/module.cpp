// Module entry: PG_MODULE_MAGIC and _PG_init.
#include "pg/pg.h"

#include "pg/boundary.h"
#include "pg/guc.h"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

void _PG_init(void) {
    cdp::pg::guc::define_all();
    cdp::pg::install_interrupt_probe();
}
}
