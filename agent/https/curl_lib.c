/* curl_lib.c - libcurl through dlopen(3) (curl_lib.h)
 *
 * The library is opened RTLD_NOW | RTLD_LOCAL: every symbol is resolved at
 * load (a missing one fails here, not in the middle of a fetch) and none
 * leaks into the global namespace. It is never closed: curl_global_init()
 * has run and OpenSSL keeps its state until exit.
 *
 * The agent's own global scope still comes first for the libraries libcurl
 * brings in: of everything they import, libwolfssl (linked into the agent)
 * defines one name, SSL_COMP_get_compression_methods, which libssl calls
 * when it makes a context and which wolfSSL answers with "no methods" —
 * what OpenSSL 3's defaults and TLS 1.3 use anyway. RTLD_DEEPBIND would keep
 * libssl's own, but the sanitizer builds refuse it.
 */
#include "curl_lib.h"

#include <dlfcn.h>
#include <stddef.h>
#include <string.h>

/* POSIX dlsym(): a function's address travels as a void * */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function pointers must fit a void *");

#define CURL_LIB_MIN_VERSION 0x075500   /* 7.85.0: CURLOPT_PROTOCOLS_STR */

static struct curl_lib lib;
static int loaded;

#define CURL_LIB_SYMBOL(name) { "curl_" #name, offsetof(struct curl_lib, name) },
static const struct {
    const char *symbol;
    size_t offset;
} symbols[] = { CURL_LIB_FUNCTIONS(CURL_LIB_SYMBOL) };
#undef CURL_LIB_SYMBOL

/* resolve - fill table from handle; 0, or -1 when a function is missing */
static int resolve(void *handle, struct curl_lib *table)
{
    for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
        void *fn = dlsym(handle, symbols[i].symbol);

        if (fn == NULL)
            return -1;
        memcpy((char *)table + symbols[i].offset, &fn, sizeof fn);
    }
    return 0;
}

/* usable - the version is recent enough and global initialisation works */
static int usable(const struct curl_lib *table, const char **why)
{
    const curl_version_info_data *info = table->version_info(CURLVERSION_NOW);

    if (info == NULL || info->version_num < CURL_LIB_MIN_VERSION) {
        *why = "the curl library is older than 7.85";
        return 0;
    }
    if (table->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        *why = "cannot initialise the curl library";
        return 0;
    }
    return 1;
}

const struct curl_lib *curl_lib_load(const char **why)
{
    struct curl_lib table;
    void *handle;

    if (loaded)
        return &lib;
    handle = dlopen(DANE_CURL_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        *why = "cannot load the curl library (" DANE_CURL_SONAME ")";
        return NULL;
    }
    if (resolve(handle, &table) != 0) {
        *why = "the curl library lacks a function dane-agent needs";
        dlclose(handle);
        return NULL;
    }
    if (!usable(&table, why)) {
        dlclose(handle);
        return NULL;
    }
    lib = table;
    loaded = 1;
    return &lib;
}
