/* getdns_lib.c - libgetdns through dlopen(3) (getdns_lib.h)
 *
 * The library is opened RTLD_NOW | RTLD_LOCAL: every symbol is resolved at
 * load (a missing one fails here, not in the middle of a delivery) and none
 * leaks into the global namespace. It is never closed: its answers and
 * contexts may live until exit.
 */
#include "getdns_lib.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* POSIX dlsym(): a function's address travels as a void * */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function pointers must fit a void *");

static struct getdns_lib lib;
static int loaded;

#define GETDNS_LIB_SYMBOL(name) \
    { "getdns_" #name, offsetof(struct getdns_lib, name) },
static const struct {
    const char *symbol;
    size_t offset;
} symbols[] = { GETDNS_LIB_FUNCTIONS(GETDNS_LIB_SYMBOL) };
#undef GETDNS_LIB_SYMBOL

const struct getdns_lib *getdns_lib_load(const char **why)
{
    struct getdns_lib table;
    void *handle;

    if (loaded)
        return &lib;
    handle = dlopen(DANE_GETDNS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        *why = "cannot load the getdns library (" DANE_GETDNS_SONAME ")";
        return NULL;
    }
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *fn = dlsym(handle, symbols[i].symbol);

        if (fn == NULL) {
            *why = "the getdns library lacks a function dane-agent needs";
            dlclose(handle);
            return NULL;
        }
        memcpy((char *)&table + symbols[i].offset, &fn, sizeof fn);
    }
    lib = table;
    loaded = 1;
    return &lib;
}

const struct getdns_lib *getdns_lib(void)
{
    if (!loaded)
        abort();    /* getdns_lib: a getdns object before getdns_lib_load() */
    return &lib;
}
