/* curl_lib.h - libcurl, loaded on first use (internal to agent/https)
 *
 * Most processes fetch nothing over HTTPS (no MTA-STS lookup, no report to
 * send), and libcurl with what it pulls in (libssl, nghttp2, libssh2, LDAP,
 * libidn2, ...) would cost every one of them its loading time and memory
 * before main(). So, as for libgetdns (agent/dns/getdns_lib.h), the
 * library is opened with dlopen(3) by the first caller that needs it, and
 * every curl function the agent uses is called through the table below,
 * whose member types are taken from curl's own headers.
 *
 * curl_lib_load() is idempotent: it opens the library, checks its version
 * (7.85 or later: CURLOPT_PROTOCOLS_STR) and runs curl_global_init() once.
 */
#ifndef DANE_AGENT_CURL_LIB_H
#define DANE_AGENT_CURL_LIB_H

#include <curl/curl.h>

/* CURL_LIB_FUNCTIONS(X) - X(name) for every curl_<name> the agent calls */
#define CURL_LIB_FUNCTIONS(X)                                                \
    X(global_init) X(version_info)                                           \
    X(easy_init) X(easy_setopt) X(easy_perform) X(easy_getinfo)              \
    X(easy_cleanup) X(easy_strerror)                                         \
    X(slist_append) X(slist_free_all)                                        \
    X(url) X(url_set) X(url_get) X(url_cleanup) X(free)

#define CURL_LIB_MEMBER(name) __typeof__(curl_##name) *name;
struct curl_lib {
    CURL_LIB_FUNCTIONS(CURL_LIB_MEMBER)
};
#undef CURL_LIB_MEMBER

/* curl_lib_load - open libcurl (DANE_CURL_SONAME: the soname of the library
 * found at configure time, agent/https/CMakeLists.txt), resolve every
 * function and initialise it once; the table, or NULL with *why */
const struct curl_lib *curl_lib_load(const char **why);

#endif
