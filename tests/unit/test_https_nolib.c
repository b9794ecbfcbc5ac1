/* test_https_nolib.c - https_get() when libcurl cannot be loaded: this test
 * links agent/https built once more with a soname that does not exist
 * (tests/CMakeLists.txt), so every call is HTTPS_LIBRARY with the reason,
 * no body and no connection attempted. */
#include <criterion/criterion.h>
#include <string.h>

#include "clock.h"
#include "https.h"

Test(https_nolib, library_missing)
{
    const char *addresses[] = { "127.0.27.10", NULL };
    const struct https_request req = {
        .url = "https://mta-sts.dane.test/.well-known/mta-sts.txt",
        .addresses = addresses, .deadline_ms = clock_now_ms() + 10000,
        .max_bytes = 65536, .content_type = "text/plain",
    };
    struct https_response out = { .status = 7 };
    char why[256] = "";

    for (int i = 0; i < 2; i++) {       /* a failed load is not remembered as a success */
        cr_assert_eq(https_get(&req, &out, why, sizeof why), HTTPS_LIBRARY, "%s", why);
        cr_expect_eq(out.status, 0);
        cr_expect_null(out.body);
        cr_expect(strstr(why, "cannot load the curl library") != NULL, "%s", why);
    }
}
