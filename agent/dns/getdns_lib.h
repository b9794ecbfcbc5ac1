/* getdns_lib.h - libgetdns, loaded on first use (internal to the DNS code)
 *
 * dane-agent runs once per message. Linked at start, libgetdns and what it
 * pulls in (libunbound, OpenSSL, libevent, nettle, gmp, idn2) cost every
 * process about 2 ms of CPU and 3 MB of memory before main(), also when the
 * DNS cache (dns_cache.h) answers every lookup or the subcommand needs no
 * DNS at all (bench/README.md has the figures). So the library is opened
 * with dlopen(3) by the first caller that needs it, and every getdns
 * function the agent uses is called through the table below, whose member
 * types are taken from getdns's own headers.
 *
 * getdns_lib_load() is idempotent; getdns_lib() returns the loaded table
 * and aborts when nothing loaded it (a programming error: a getdns object
 * cannot exist before the library is loaded).
 */
#ifndef DANE_AGENT_GETDNS_LIB_H
#define DANE_AGENT_GETDNS_LIB_H

#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

/* GETDNS_LIB_FUNCTIONS(X) - X(name) for every getdns_<name> the agent calls */
#define GETDNS_LIB_FUNCTIONS(X)                                              \
    X(context_create) X(context_destroy) X(context_run)                      \
    X(context_set_resolution_type) X(context_set_dns_transport_list)         \
    X(context_set_timeout) X(context_set_append_name)                        \
    X(context_set_upstream_recursive_servers)                                \
    X(context_set_dnssec_trust_anchors)                                      \
    X(general) X(general_sync)                                               \
    X(dict_create) X(dict_destroy) X(dict_get_int) X(dict_get_list)          \
    X(dict_get_dict) X(dict_get_bindata) X(dict_set_int) X(dict_set_list)    \
    X(dict_set_bindata)                                                      \
    X(list_create) X(list_destroy) X(list_get_length) X(list_get_dict)       \
    X(list_set_dict)                                                         \
    X(wire2msg_dict) X(fp2rr_list)

#define GETDNS_LIB_MEMBER(name) __typeof__(getdns_##name) *name;
struct getdns_lib {
    GETDNS_LIB_FUNCTIONS(GETDNS_LIB_MEMBER)
};
#undef GETDNS_LIB_MEMBER

/* getdns_lib_load - open libgetdns (DANE_GETDNS_SONAME: the soname of the
 * library found at configure time, agent/CMakeLists.txt) and resolve every
 * function once; the table, or NULL with *why */
const struct getdns_lib *getdns_lib_load(const char **why);

/* getdns_lib - the table getdns_lib_load() filled; aborts if none */
const struct getdns_lib *getdns_lib(void);

#endif
