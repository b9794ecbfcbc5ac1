/* certs_fixture.h - test certificates from tests/certs/mkcerts.sh, made once
 * per test run into a directory of the test's own (before Criterion forks
 * the cases: call certs_fixture_make from ReportHook(PRE_ALL)), and read
 * back by name: DIR/certs/NAME.der, NAME.spki, ... Compiled once
 * (certs_fixture.c) and linked into every unit test. */
#ifndef DANE_AGENT_CERTS_FIXTURE_H
#define DANE_AGENT_CERTS_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "dane.h"

/* certs_fixture_make - (re)generate dir when absent or older than the
 * script; exits the test run when mkcerts.sh fails */
void certs_fixture_make(const char *dir, const char *test);

/* certs_fixture_file - the bytes of DIR/certs/NAME.EXT (not empty); the
 * caller frees */
uint8_t *certs_fixture_file(const char *dir, const char *name, const char *ext, size_t *len);

/* certs_fixture_chain - a chain of the DER certificates named in names
 * (space-separated, leaf first); "" gives an empty chain, NULL no chain */
struct dane_chain *certs_fixture_chain(const char *dir, const char *names);

#endif
