#include "pg/common/pg.h"

extern "C" {
#include "utils/guc.h"
}

#include "pg/common/init.h"
#include "pg/namematch/gucs.h"

namespace cdp::pg::namematch {

double similarity_threshold = 0.85;

namespace {
void define_gucs() {
    DefineCustomRealVariable(
        "cdp.similarity_threshold", "Threshold of cdp.name_similarity() used by the %~ operator.", nullptr,
        &similarity_threshold, 0.85, 0.0, 1.0, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}
CDP_MODULE_INIT(define_gucs);
}  // namespace

}  // namespace cdp::pg::namematch
