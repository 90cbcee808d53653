/* The two helpers the R <-> Python bridge needs from C (see R/convert.R):
 * - ss_address(x): the address of a double, integer or logical vector's data, as a
 *   hexadecimal string, so the Python side copies the column straight from R's memory
 *   (R's garbage collector never moves an object, and the caller keeps it alive for the call);
 * - ss_string_codes(x): 1-based integer codes (NA kept) and levels, in order of first
 *   appearance, of a character vector. R keeps one copy of each distinct string (its global
 *   CHARSXP cache), so codes come from comparing pointers: one pass, no string hashing.
 * Scratch memory comes from R_alloc, which R reclaims when the call returns or fails.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <R.h>
#include <Rinternals.h>
#include <R_ext/Rdynload.h>

static SEXP ss_address(SEXP x) {
    void *data;  /* TYPEOF, not isInteger(): a factor's codes are an integer vector too */
    if (TYPEOF(x) == REALSXP) data = REAL(x);
    else if (TYPEOF(x) == INTSXP) data = INTEGER(x);
    else if (TYPEOF(x) == LGLSXP) data = LOGICAL(x);
    else error("ss_address: a double, integer or logical vector is required");
    char buffer[32];
    snprintf(buffer, sizeof buffer, "%llx", XLENGTH(x) ? (unsigned long long) (uintptr_t) data : 0ull);
    return mkString(buffer);
}

/* slot of pointer s in a table of 2^bits slots (Fibonacci hashing, linear probing) */
static size_t slot_of(SEXP s, SEXP *keys, int bits) {
    size_t mask = ((size_t) 1 << bits) - 1;
    size_t slot = (size_t) (((uint64_t) (uintptr_t) s * 11400714819323198485ull) >> (64 - bits));
    while (keys[slot] != NULL && keys[slot] != s) slot = (slot + 1) & mask;
    return slot;
}

static SEXP ss_string_codes(SEXP x) {
    if (TYPEOF(x) != STRSXP) error("ss_string_codes: a character vector is required");
    R_xlen_t n = XLENGTH(x);
    SEXP codes = PROTECT(allocVector(INTSXP, n));
    int *code = INTEGER(codes);
    int bits = 6;
    size_t capacity = (size_t) 1 << bits, n_levels = 0;
    SEXP *keys = (SEXP *) R_alloc(capacity, sizeof(SEXP));
    int *values = (int *) R_alloc(capacity, sizeof(int));
    SEXP *levels = (SEXP *) R_alloc(capacity, sizeof(SEXP));
    memset(keys, 0, capacity * sizeof(SEXP));
    SEXP last = NULL;
    int last_code = NA_INTEGER;
    for (R_xlen_t i = 0; i < n; i++) {
        SEXP s = STRING_ELT(x, i);
        if (s == last) { code[i] = last_code; continue; }
        last = s;
        if (s == NA_STRING) { code[i] = last_code = NA_INTEGER; continue; }
        size_t slot = slot_of(s, keys, bits);
        if (keys[slot] == NULL) {
            if (2 * (n_levels + 1) > capacity) {  /* keep the table at most half full */
                size_t grown = capacity * 2;
                SEXP *new_keys = (SEXP *) R_alloc(grown, sizeof(SEXP));
                int *new_values = (int *) R_alloc(grown, sizeof(int));
                SEXP *new_levels = (SEXP *) R_alloc(grown, sizeof(SEXP));
                memset(new_keys, 0, grown * sizeof(SEXP));
                memcpy(new_levels, levels, n_levels * sizeof(SEXP));
                for (size_t j = 0; j < capacity; j++) {
                    if (keys[j] == NULL) continue;
                    size_t k = slot_of(keys[j], new_keys, bits + 1);
                    new_keys[k] = keys[j];
                    new_values[k] = values[j];
                }
                keys = new_keys; values = new_values; levels = new_levels;
                capacity = grown; bits++;
                slot = slot_of(s, keys, bits);
            }
            keys[slot] = s;
            values[slot] = (int) ++n_levels;
            levels[n_levels - 1] = s;
        }
        code[i] = last_code = values[slot];
    }
    SEXP level_vector = PROTECT(allocVector(STRSXP, (R_xlen_t) n_levels));
    for (size_t j = 0; j < n_levels; j++) SET_STRING_ELT(level_vector, (R_xlen_t) j, levels[j]);
    SEXP result = PROTECT(allocVector(VECSXP, 2));
    SET_VECTOR_ELT(result, 0, codes);
    SET_VECTOR_ELT(result, 1, level_vector);
    SEXP names = PROTECT(allocVector(STRSXP, 2));
    SET_STRING_ELT(names, 0, mkChar("codes"));
    SET_STRING_ELT(names, 1, mkChar("levels"));
    setAttrib(result, R_NamesSymbol, names);
    UNPROTECT(4);
    return result;
}

static const R_CallMethodDef call_methods[] = {
    {"ss_address", (DL_FUNC) &ss_address, 1},
    {"ss_string_codes", (DL_FUNC) &ss_string_codes, 1},
    {NULL, NULL, 0}
};

void R_init_synthsurvey(DllInfo *info) {
    R_registerRoutines(info, NULL, call_methods, NULL, NULL);
    R_useDynamicSymbols(info, FALSE);
    R_forceSymbols(info, TRUE);
}
