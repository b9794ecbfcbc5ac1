/* test_policy.c - the policy table: every key accepted, every error at its
 * exact line and column, inheritance from `defaults`, lookup precedence. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "test_helpers.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct policy *parse(const char *text, char *err, size_t errsize)
{
    return policy_parse("t.yaml", (const uint8_t *)text, strlen(text), err,
                        errsize);
}

static struct policy *parse_ok(const char *text)
{
    char err[512];
    struct policy *p = parse(text, err, sizeof(err));

    cr_assert_not_null(p, "want a valid policy, got: %s", err);
    return p;
}

/* ---- errors: each with its exact position ---------------------------- */

struct err_case {
    const char *name;
    const char *text;
    unsigned line, col;
    const char *want;           /* a substring of the message */
};

#define D256 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static const struct err_case err_cases[] = {
    {"unknown_key", "defaults:\n  levl: dane\n", 2, 3,
     "unknown key \"levl\" in defaults"},
    {"unknown_top_key", "dns: {}\ndestination: {}\n", 2, 1,
     "unknown key \"destination\""},
    {"unknown_dns_key", "dns:\n  upstream: [\"::1\"]\n", 2, 3,
     "unknown key \"upstream\" in dns"},
    {"duplicate_key", "defaults:\n  level: dane\n  level: may\n", 3, 3,
     "duplicate key \"level\" in defaults (first at line 2)"},
    {"duplicate_top_key", "dns: {}\ndns: {}\n", 2, 1, "duplicate key \"dns\""},
    {"wrong_type_list_for_scalar", "defaults:\n  level: [dane]\n", 2, 10,
     "level: expected a level name, found a list"},
    {"wrong_type_scalar_for_list", "defaults:\n  curves: X25519\n", 2, 11,
     "curves: expected a list, found a scalar"},
    {"wrong_type_bool", "defaults:\n  legacy_cbc_suites: yes\n", 2, 22,
     "expected true or false"},
    {"wrong_type_quoted_number", "defaults:\n  max_mx_hosts: \"10\"\n", 2, 17,
     "expected a number, found a quoted string"},
    {"wrong_type_mapping_for_entry", "destinations:\n  a.example: dane\n", 2, 14,
     "a destination: expected a mapping, found a scalar"},
    {"wrong_type_null_section", "destinations:\n", 1, 14,
     "destinations: expected a mapping, found nothing"},
    {"missing_value", "defaults:\n  level:\n  curves: [X448]\n", 2, 9,
     "level: missing value"},
    {"empty_list_curves", "defaults:\n  curves: []\n", 2, 11,
     "curves: empty list"},
    {"empty_list_upstreams", "dns:\n  upstreams: []\n", 2, 14,
     "upstreams: empty list"},
    {"empty_list_match", "destinations:\n  a.example: {level: verify, match: []}\n",
     2, 37, "match: empty list"},
    {"bad_duration_no_unit", "defaults:\n  connect_timeout: 30\n", 2, 20,
     "needs a unit"},
    {"bad_duration_unit", "defaults:\n  connect_timeout: 30sec\n", 2, 20,
     "bad duration unit"},
    {"bad_duration_text", "defaults:\n  helo_timeout: soon\n", 2, 17,
     "bad duration"},
    {"bad_duration_too_long_delivery", "defaults:\n  delivery_timeout: 1000s\n",
     2, 21, "out of range"},
    {"bad_duration_zero", "defaults:\n  data_timeout: 0s\n", 2, 17,
     "out of range"},
    {"bad_duration_dns", "dns:\n  timeout: 2m\n", 2, 12, "out of range"},
    {"bad_address_ipv4", "dns:\n  upstreams: [\"127.0.0.1\", \"300.1.1.1\"]\n",
     2, 28, "upstreams: bad address \"300.1.1.1\""},
    {"bad_address_name", "dns:\n  upstreams: [ns.example]\n", 2, 15,
     "bad address"},
    {"bad_address_port", "dns:\n  upstreams: [\"[::1]:0\"]\n", 2, 15,
     "port must be a number from 1 to 65535"},
    {"bad_address_v6_unbracketed_port", "dns:\n  upstreams: [\"::1:53x\"]\n",
     2, 15, "bad address"},
    {"bad_digest_hex", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"sha256:zz\"]\n", 4, 13, "expected pairs of hex digits"},
    {"bad_digest_length", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"sha256:0011\"]\n", 4, 13,
     "sha256 takes 32 bytes, found 2"},
    {"bad_digest_too_long", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"sha256:" D256 "00\"]\n", 4, 13, "found more"},
    {"bad_digest_sha512_short", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"sha512:" D256 "\"]\n", 4, 13, "sha512 takes 64 bytes"},
    {"bad_digest_algorithm", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"md5:00\"]\n", 4, 13, "is not a digest"},
    {"bad_digest_double_colon", "destinations:\n  a.example:\n    level: fingerprint\n"
     "    match: [\"sha256:00::11\"]\n", 4, 13, "expected pairs of hex digits"},
    {"unknown_level", "defaults:\n  level: high\n", 2, 10,
     "unknown level \"high\""},
    {"unknown_level_case", "defaults:\n  level: DANE\n", 2, 10,
     "unknown level \"DANE\""},
    {"match_at_dane", "destinations:\n  a.example:\n    level: dane\n"
     "    match: [hostname]\n", 4, 5, "match: level dane takes no match"},
    {"match_at_inherited_may", "defaults: {level: may}\ndestinations:\n"
     "  a.example: {match: [hostname]}\n", 3, 15,
     "level may (inherited from defaults) takes no match"},
    {"match_in_defaults_at_encrypt", "defaults:\n  level: encrypt\n"
     "  match: [nexthop]\n", 3, 3, "level encrypt takes no match"},
    {"fingerprint_without_match", "destinations:\n  a.example: {level: fingerprint}\n",
     2, 22, "level fingerprint needs a match list"},
    {"match_bad_name", "destinations:\n  a.example: {level: verify, match: [\"a b\"]}\n",
     2, 38, "invalid character in host name"},
    {"match_scalar", "destinations:\n  a.example: {level: secure, match: nexthop}\n",
     2, 37, "match: expected a list"},
    {"tab_indent", "defaults:\n\tlevel: dane\n", 2, 1, "tab character"},
    {"tab_after_colon", "defaults:\n  level:\tdane\n", 2, 9, "tab character"},
    {"tab_in_comment", "# a\tcomment\ndefaults: {}\n", 1, 4, "tab character"},
    {"shape_list", "- a\n- b\n", 1, 1,
     "a policy is a mapping with dns, defaults and destinations, found a list"},
    {"shape_scalar", "\nhello\n", 2, 1, "found a scalar"},
    {"shape_empty_document", "---\n", 2, 1, "found nothing"},
    {"empty_file", "", 1, 1, "the file is empty"},
    {"comments_only", "# nothing\n", 1, 1, "the file is empty"},
    {"several_documents", "defaults: {}\n---\ndns: {}\n", 2, 1,
     "several YAML documents"},
    {"non_utf8_latin1", "defaults:\n  helo_name: caf\xe9\n", 2, 17,
     "invalid UTF-8 (byte 0xE9)"},
    {"non_utf8_overlong", "# \xc0\xaf\ndefaults: {}\n", 1, 3, "invalid UTF-8"},
    {"non_utf8_surrogate", "dns: {}\n# \xed\xa0\x80\n", 2, 3, "invalid UTF-8"},
    {"utf8_column_counts_characters", "# \xc3\xa9\xc3\xa9\xff\n", 1, 5,
     "invalid UTF-8"},
    {"control_character", "defaults:\n  level: da\x01ne\n", 2, 12,
     "control character (U+0001)"},
    {"line_separator", "dns: {}\n#\xe2\x80\xa8\n", 2, 2, "line separator"},
    {"anchor", "defaults: &d {level: dane}\n", 1, 11, "YAML anchors (&d)"},
    {"alias_bomb", "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a]\n",
     1, 4, "YAML anchors (&a)"},
    {"alias_only", "dns: *x\n", 1, 6, "YAML aliases (*x)"},
    {"tag", "defaults: !!map {level: dane}\n", 1, 11, "YAML tags"},
    {"yaml_syntax", "defaults: {level: dane\n", 2, 1, "YAML syntax"},
    {"yaml_unquoted_bracket_key", "destinations:\n  [mx.example]:587: {}\n", 2, 15,
     "(quote keys that start with \"[\", e.g. \"[mx.example]:587\")"},
    {"nesting_too_deep", "a: [[[[[[[[[x]]]]]]]]]\n", 1, 11,
     "nesting deeper than 8"},
    {"protocol_tls11", "defaults:\n  protocols: [TLSv1.2, TLSv1.1]\n", 2, 24,
     "TLSv1.1 is below TLS 1.2 and not allowed"},
    {"protocol_sslv3", "defaults:\n  protocols:\n    - SSLv3\n", 3, 7,
     "SSLv3 is below TLS 1.2"},
    {"protocol_postfix_exclusion", "defaults:\n  protocols: [\"!SSLv2\"]\n", 2, 15,
     "Postfix's exclusion syntax"},
    {"protocol_unknown", "defaults:\n  protocols: [TLSv1.4]\n", 2, 15,
     "unknown value \"TLSv1.4\" (expected TLSv1.2 or TLSv1.3)"},
    {"protocol_twice", "defaults:\n  protocols: [TLSv1.3, tlsv1.3]\n", 2, 24,
     "listed twice"},
    {"ciphers_non_fs", "defaults:\n  ciphers: \"ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA\"\n",
     2, 12, "ciphers: \"AES256-SHA\" would admit cipher suites without "
     "forward secrecy"},
    {"ciphers_keyword", "defaults:\n  ciphers: HIGH\n", 2, 12,
     "without forward secrecy"},
    {"cipherlist_list_rsa", "defaults:\n  cipherlist: [ECDHE-ECDSA-AES256-GCM-SHA384, kRSA]\n",
     2, 47, "\"kRSA\" would admit"},
    {"ciphers_fs_only_still_refused", "destinations:\n  a.example:\n"
     "    ciphers: [TLS13-AES256-GCM-SHA384]\n", 3, 5,
     "cipher suites are not configurable"},
    {"ciphers_psk", "defaults:\n  ciphers: ECDHE-PSK-AES128-CBC-SHA256\n", 2, 12,
     "without forward secrecy"},
    {"curve_unknown", "defaults:\n  curves: [X25519, P-192]\n", 2, 20,
     "unknown value \"P-192\""},
    {"curve_ffdhe", "defaults:\n  curves: [ffdhe2048]\n", 2, 12,
     "finite-field group: list it under ffdhe_groups"},
    {"curve_openssl_name", "defaults:\n  curves: [secp384r1]\n", 2, 12,
     "spelled P-384"},
    {"curve_twice", "defaults:\n  curves: [X25519, x25519]\n", 2, 20,
     "listed twice"},
    {"ffdhe4096_unsupported", "defaults:\n  ffdhe_groups: [ffdhe2048, ffdhe4096]\n",
     2, 29, "ffdhe4096 is not supported by the TLS library"},
    {"ffdhe_curve", "defaults:\n  ffdhe_groups: [X25519]\n", 2, 18,
     "is an elliptic curve"},
    {"dane_digest_unknown", "defaults:\n  dane_digests: [sha1]\n", 2, 18,
     "expected sha512 or sha256"},
    {"insecure_mx_unknown", "defaults:\n  insecure_mx_policy: none\n", 2, 23,
     "expected may, encrypt or dane"},
    {"max_reply_line_length_below_rfc", "defaults:\n  max_reply_line_length: 100\n",
     2, 26, "out of range (512 to 4096)"},
    {"max_mx_hosts_zero", "defaults:\n  max_mx_hosts: 0\n", 2, 17, "out of range"},
    {"max_addresses_not_number", "defaults:\n  max_addresses: -1\n", 2, 18,
     "is not a number"},
    {"max_message_size_bad", "defaults:\n  max_message_size: 10X\n", 2, 21,
     "bad size"},
    {"max_message_size_huge", "defaults:\n  max_message_size: 2000G\n", 2, 21,
     "larger than"},
    {"ca_file_relative", "defaults:\n  ca_file: certs/ca.pem\n", 2, 12,
     "not an absolute path"},
    {"session_cache_empty", "defaults:\n  session_cache: \"\"\n", 2, 18,
     "not an absolute path"},
    {"servername_bad", "defaults:\n  servername: -mx.example\n", 2, 15,
     "hyphen"},
    {"helo_name_ulabel", "defaults:\n  helo_name: \"b\xc3\xbc" "cher.example\"\n",
     2, 14, "A-label"},
    {"resolution_recursing", "dns:\n  resolution: recursing\n", 2, 15,
     "only stub"},
    {"trust_anchors_relative", "dns:\n  trust_anchors: root.key\n", 2, 18,
     "not an absolute path"},
    {"dns_cache_relative", "dns:\n  cache: dns-cache\n", 2, 10,
     "not an absolute path"},
    {"dns_cache_max_ttl_too_long", "dns:\n  cache_max_ttl: 25h\n", 2, 18,
     "cache_max_ttl"},
    {"dns_cache_max_ttl_too_short", "dns:\n  cache_max_ttl: 500ms\n", 2, 18,
     "cache_max_ttl"},
    {"nul_in_string", "defaults:\n  ca_file: \"/a\\0b\"\n", 2, 12,
     "NUL character"},
    {"key_ulabel", "destinations:\n  b\xc3\xbc" "cher.example: {}\n", 2, 3,
     "write its A-label (xn--...)"},
    {"key_unbracketed_address", "destinations:\n  192.0.2.1: {}\n", 2, 3,
     "an address must be written in brackets"},
    {"key_bad_port", "destinations:\n  \"example.com:70000\": {}\n", 2, 3,
     "port must be a number"},
    {"key_parent_with_port", "destinations:\n  \".example.com:587\": {}\n", 2, 3,
     "a .parent key takes no port"},
    {"key_bad_bracket_v6", "destinations:\n  \"[ipv6:1.2.3.4]\": {}\n", 2, 3,
     "invalid IPv6 address"},
    {"key_ipv6_tag_any_case", "destinations:\n  \"[2001:db8::1]\": {}\n"
     "  \"[IPV6:2001:db8::1]\": {}\n", 3, 3, "duplicate destination"},
    {"key_parent_bracket", "destinations:\n  \".[mx.example]\": {}\n", 2, 3,
     "a .parent key is a domain"},
    {"key_after_bracket", "destinations:\n  \"[mx.example]x\": {}\n", 2, 3,
     "only \":port\" may follow"},
    {"key_empty_label", "destinations:\n  a..example: {}\n", 2, 3, "empty label"},
    {"key_duplicate_normalised", "destinations:\n  Example.COM.: {}\n"
     "  example.com: {}\n", 3, 3,
     "duplicate destination \"example.com\" (same as \"Example.COM.\" at line 2)"},
    {"key_duplicate_default_port", "destinations:\n  \"example.com:25\": {}\n"
     "  b.example: {}\n  example.com: {}\n", 4, 3, "duplicate destination"},
    {"key_duplicate_v6_forms", "destinations:\n  \"[2001:db8::1]\": {}\n"
     "  \"[ipv6:2001:DB8:0::1]:25\": {}\n", 3, 3, "duplicate destination"},
    {"key_duplicate_exact", "destinations:\n  a.example: {}\n  a.example: {}\n",
     3, 3, "duplicate destination"},
    {"spool_dir_relative", "spool_dir: var/tmp\n", 1, 12,
     "spool_dir: \"var/tmp\" is not an absolute path"},
    {"spool_dir_list", "spool_dir: [/var/tmp]\n", 1, 12,
     "spool_dir: expected an absolute path, found a list"},
    {"spool_dir_empty", "spool_dir:\n", 1, 11, "spool_dir: missing value"},
    {"spool_dir_in_defaults", "defaults:\n  spool_dir: /var/tmp\n", 2, 3,
     "unknown key \"spool_dir\" in defaults"},
    {"tlsrpt_list", "tlsrpt: [a]\n", 1, 9, "tlsrpt: expected a mapping"},
    {"tlsrpt_no_contact", "tlsrpt:\n  organization_name: Example\n", 1, 1,
     "tlsrpt: organization_name and contact_info are required"},
    {"tlsrpt_unknown_key", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "rua: x}\n", 1, 59, "unknown key \"rua\" in tlsrpt"},
    {"tlsrpt_contact_no_at", "tlsrpt: {organization_name: E, contact_info: postmaster}\n",
     1, 46, "contact_info: \"postmaster\" is not an address local@domain"},
    {"tlsrpt_contact_brackets", "tlsrpt: {organization_name: E, "
     "contact_info: \"<a@b.example>\"}\n", 1, 46, "(no angle brackets)"},
    {"tlsrpt_contact_bad_domain", "tlsrpt: {organization_name: E, "
     "contact_info: a@b_c..example}\n", 1, 46, "is not an address local@domain"},
    {"tlsrpt_sender_comma", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "sender: \"a,b@c.example\"}\n", 1, 67, "sender: \"a,b@c.example\" is not an address"},
    {"tlsrpt_sender_utf8", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "sender: \"\xc3\xa9@c.example\"}\n", 1, 67, "is not an address local@domain"},
    {"tlsrpt_submitter_bad", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "submitter: \"a b\"}\n", 1, 70, "submitter: \"a b\""},
    {"tlsrpt_sendmail_relative", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "sendmail: sendmail}\n", 1, 69, "sendmail: \"sendmail\" is not an absolute path"},
    {"tlsrpt_state_relative", "tlsrpt: {organization_name: E, contact_info: a@b.example, "
     "state_dir: tlsrpt}\n", 1, 70, "state_dir: \"tlsrpt\" is not an absolute path"},
    {"tlsrpt_org_empty", "tlsrpt: {organization_name: , contact_info: a@b.example}\n",
     1, 29, "organization_name: missing value"},
    {"user_root", "defaults:\n  user: root\n", 2, 9,
     "root is not an unprivileged user"},
    {"user_bad_characters", "defaults:\n  user: \"mail user\"\n", 2, 9,
     "is not a user name"},
    {"user_leading_hyphen", "defaults:\n  user: -nobody\n", 2, 9,
     "no leading hyphen"},
    {"user_in_destination", "destinations:\n  a.example: {user: mail}\n", 2, 15,
     "user: only in defaults"},
    {"entry_unknown_key", "destinations:\n  a.example: {level: dane, tls: yes}\n",
     2, 28, "unknown key \"tls\" in a destination"},
};

ParameterizedTestParameters(policy, errors)
{
    static size_t idx[NELEM(err_cases)];
    for (size_t i = 0; i < NELEM(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NELEM(idx));
}

ParameterizedTest(size_t *i, policy, errors)
{
    const struct err_case *c = &err_cases[*i];
    char err[512], want[64];
    struct policy *p = parse(c->text, err, sizeof(err));

    cr_assert_null(p, "%s: want an error, got a valid policy", c->name);
    snprintf(want, sizeof(want), "t.yaml:%u:%u: ", c->line, c->col);
    cr_expect(strncmp(err, want, strlen(want)) == 0,
              "%s: got \"%s\", want position %s", c->name, err, want);
    cr_expect(strstr(err, c->want) != NULL, "%s: got \"%s\", want \"%s\"",
              c->name, err, c->want);
}

Test(policy, error_huge_input)
{
    size_t len = POLICY_MAX_FILE_SIZE + 1;
    char *text = malloc(len), err[256];

    cr_assert_not_null(text);
    memset(text, '#', len);
    cr_assert_null(policy_parse("big.yaml", (const uint8_t *)text, len, err,
                                sizeof(err)));
    cr_expect_str_eq(err, "big.yaml:1:1: file too large (more than 1048576 bytes)");
    free(text);
}

Test(policy, error_message_truncated_and_terminated)
{
    char err[12];

    cr_assert_null(parse("defaults:\n  levl: dane\n", err, sizeof(err)));
    cr_expect_str_eq(err, "t.yaml:2:3:");
}

/* ---- files ----------------------------------------------------------- */

static const char *srcdir(void)
{
    const char *d = getenv("DANE_TEST_SRCDIR");
    return d != NULL ? d : DANE_TEST_SRCDIR;
}

Test(policy, file_missing_is_unreadable)
{
    enum policy_status st = POLICY_OK;
    char err[256];

    cr_assert_null(policy_load_status("/nonexistent/policy.yaml", &st, err,
                                      sizeof(err)));
    cr_expect_eq(st, POLICY_UNREADABLE);
    cr_expect_str_eq(err, "/nonexistent/policy.yaml: cannot read: No such "
                     "file or directory");
}

Test(policy, file_directory_is_unreadable)
{
    enum policy_status st = POLICY_OK;
    char err[256];

    cr_assert_null(policy_load_status("/", &st, err, sizeof(err)));
    cr_expect_eq(st, POLICY_UNREADABLE);
    cr_expect_str_eq(err, "/: cannot read: is a directory");
}

Test(policy, file_device_is_unreadable)
{
    enum policy_status st = POLICY_OK;
    char err[256];

    cr_assert_null(policy_load_status("/dev/zero", &st, err, sizeof(err)));
    cr_expect_eq(st, POLICY_UNREADABLE);
    cr_expect_str_eq(err, "/dev/zero: cannot read: not a regular file");
}

Test(policy, file_huge_is_invalid)
{
    char path[64], err[256];
    enum policy_status st = POLICY_OK;
    static char comment[17 * 65536];

    memset(comment, '#', sizeof(comment));
    test_tmpfile(path, sizeof(path), "dane-policy-huge", comment, sizeof(comment));
    cr_expect_null(policy_load_status(path, &st, err, sizeof(err)));
    unlink(path);
    cr_expect_eq(st, POLICY_INVALID);
    cr_expect(strstr(err, ":1:1: file too large") != NULL, "got %s", err);
}

Test(policy, file_example_is_valid)
{
    char path[1024], err[512];
    enum policy_status st = POLICY_INVALID;
    struct policy *p;

    snprintf(path, sizeof(path), "%s/policy.yaml.example", srcdir());
    p = policy_load_status(path, &st, err, sizeof(err));
    cr_assert_not_null(p, "policy.yaml.example: %s", err);
    cr_expect_eq(st, POLICY_OK);
    cr_expect_eq(policy_lookup(p, "example.com")->level, POLICY_LEVEL_DANE_ONLY);
    cr_expect_eq(policy_lookup(p, "[mx.example.org]:587")->level,
                 POLICY_LEVEL_FINGERPRINT);
    cr_expect_str_eq(policy_spool_dir(p), "/var/tmp");
    policy_free(p);
}

/* ---- accepted values -------------------------------------------------- */

/* existing_dir - path when stat() finds a directory there, else NULL (the
 * test's own view of the machine, independent of policy_default_dir) */
static const char *existing_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode) ? path : NULL;
}

Test(policy, cache_defaults_are_under_var_cache)
{
    cr_expect_str_eq(POLICY_DNS_CACHE_DEFAULT, "/var/cache/dane-agent/dns");
    cr_expect_str_eq(POLICY_SESSION_CACHE_DEFAULT, "/var/cache/dane-agent/sessions");
}

Test(policy, default_dir_used_only_when_it_is_a_directory)
{
    char dir[256], missing[300], file[256];

    test_tmpdir(dir, sizeof(dir), "policy-cache");
    snprintf(missing, sizeof(missing), "%s/absent", dir);
    test_tmpfile(file, sizeof(file), "policy-cache-file", "x", 1);
    cr_expect_eq(policy_default_dir(dir), dir);
    cr_expect_null(policy_default_dir(missing));
    cr_expect_null(policy_default_dir(file), "a file is not a cache directory");
    cr_expect_eq(access(missing, F_OK), -1, "nothing was created");
    unlink(file);
    rmdir(dir);
}

Test(policy, cache_none_turns_a_cache_off)
{
    struct policy *p = parse_ok("dns: { cache: none }\n"
                                "defaults: { session_cache: /srv/sessions }\n"
                                "destinations:\n"
                                "  example.com: { session_cache: none }\n"
                                "  example.org: { session_cache: \"none\" }\n");

    cr_expect_null(policy_dns(p)->cache);
    cr_expect_str_eq(policy_defaults(p)->session_cache, "/srv/sessions");
    cr_expect_null(policy_lookup(p, "example.com")->session_cache);
    cr_expect_null(policy_lookup(p, "example.org")->session_cache);
    cr_expect_str_eq(policy_lookup(p, "example.net")->session_cache, "/srv/sessions");
    policy_free(p);
}

Test(policy, cache_relative_path_still_refused)
{
    char err[256];
    struct policy *p = policy_parse("t", (const uint8_t *)"dns: { cache: nothing }\n", 24,
                                    err, sizeof(err));

    cr_expect_null(p);
    cr_expect(strstr(err, "not an absolute path") != NULL, "%s", err);
}

Test(policy, builtin_defaults)
{
    struct policy *p = parse_ok("destinations: {}\n");
    const struct policy_entry *e = policy_defaults(p);
    const struct policy_dns *d = policy_dns(p);
    char host[256];

    cr_expect_eq(e->level, POLICY_LEVEL_DANE);
    cr_expect_eq(e->nmatch, 0);
    cr_expect_eq(e->protocols, POLICY_PROTO_TLS12 | POLICY_PROTO_TLS13);
    cr_assert_eq(e->ncurves, 3);
    cr_expect_eq(e->curves[0], 29);
    cr_expect_eq(e->curves[1], 23);
    cr_expect_eq(e->curves[2], 24);
    cr_assert_eq(e->nffdhe_groups, 2);
    cr_expect_eq(e->ffdhe_groups[0], 256);
    cr_expect_eq(e->ffdhe_groups[1], 257);
    cr_assert_eq(e->ndane_digests, 2);
    cr_expect_eq(e->dane_digests[0], 2);
    cr_expect_eq(e->dane_digests[1], 1);
    cr_expect_eq(e->insecure_mx_policy, POLICY_INSECURE_MX_DANE);
    cr_expect_eq(e->connect_timeout_ms, 30000);
    cr_expect_eq(e->helo_timeout_ms, 120000);
    cr_expect_eq(e->starttls_timeout_ms, 120000);
    cr_expect_eq(e->data_timeout_ms, 180000);
    cr_expect_eq(e->delivery_timeout_ms, 300000);
    cr_expect_eq(e->delivery_timeout_ms, POLICY_DELIVERY_TIMEOUT_DEFAULT_MS,
                 "deliver's deadline before the policy is loaded");
    cr_expect_lt(e->delivery_timeout_ms, 1000000, "below pipe(8)'s limit");
    cr_expect_eq(e->max_message_size, 0);
    cr_expect_eq(e->session_cache, existing_dir(POLICY_SESSION_CACHE_DEFAULT),
                 "the default directory, only when it exists");
    cr_expect_null(e->servername);
    cr_expect_null(e->ca_file);
    cr_expect_eq(e->legacy_cbc_suites, 0);
    cr_expect_eq(e->max_mx_hosts, 10);
    cr_expect_eq(e->max_addresses, 10);
    cr_expect_eq(e->max_reply_lines, 100);
    cr_expect_eq(e->max_reply_line_length, 2048);
    cr_expect_str_eq(e->user, "nobody");
    cr_expect_str_eq(e->key, "defaults");
    cr_assert_eq(gethostname(host, sizeof(host)), 0);
    cr_assert_not_null(e->helo_name);
    cr_expect_eq(strncmp(e->helo_name, host, strlen(e->helo_name)), 0);
    cr_expect_eq(d->nupstreams, 0);
    cr_expect_null(d->trust_anchors);
    cr_expect_eq(d->timeout_ms, 5000);
    cr_expect_eq(d->cache, existing_dir(POLICY_DNS_CACHE_DEFAULT),
                 "the default directory, only when it exists");
    cr_expect_eq(d->cache_max_ttl_ms, 3600000);
    cr_expect_null(policy_spool_dir(p), "unset: the agent's default");
    policy_free(p);
}

Test(policy, spool_dir_top_level)
{
    struct policy *p = parse_ok("spool_dir: /var/spool/dane-agent\n"
                                "defaults:\n  level: may\n");

    cr_expect_str_eq(policy_spool_dir(p), "/var/spool/dane-agent");
    cr_expect_eq(policy_defaults(p)->level, POLICY_LEVEL_MAY);
    policy_free(p);
}

Test(policy, tlsrpt_absent_is_null)
{
    struct policy *p = parse_ok("spool_dir: /var/tmp\n");

    cr_expect_null(policy_tlsrpt(p));
    policy_free(p);
}

Test(policy, tlsrpt_defaults)
{
    struct policy *p = parse_ok("defaults: {helo_name: MX.Example.net}\n"
                                "tlsrpt:\n  organization_name: Example Org\n"
                                "  contact_info: tlsrpt@example.net\n");
    const struct policy_tlsrpt *t = policy_tlsrpt(p);

    cr_assert_not_null(t);
    cr_expect_str_eq(t->organization_name, "Example Org");
    cr_expect_str_eq(t->contact_info, "tlsrpt@example.net");
    cr_expect_str_eq(t->submitter, "mx.example.net", "the defaults' helo_name");
    cr_expect_str_eq(t->sender, "tlsrpt@example.net", "contact_info");
    cr_expect_str_eq(t->sendmail, "/usr/sbin/sendmail");
    cr_expect_str_eq(t->state_dir, "/var/lib/dane-agent/tlsrpt");
    cr_expect_eq(t->line, 2);
    policy_free(p);
}

Test(policy, tlsrpt_every_key)
{
    struct policy *p = parse_ok("tlsrpt:\n  organization_name: \"Example, Inc.\"\n"
                                "  contact_info: tlsrpt@example.net\n"
                                "  submitter: Example.NET.\n"
                                "  sender: noreply+tls@example.net\n"
                                "  sendmail: /usr/lib/sendmail\n"
                                "  state_dir: /srv/tlsrpt\n");
    const struct policy_tlsrpt *t = policy_tlsrpt(p);

    cr_assert_not_null(t);
    cr_expect_str_eq(t->organization_name, "Example, Inc.");
    cr_expect_str_eq(t->submitter, "example.net");
    cr_expect_str_eq(t->sender, "noreply+tls@example.net");
    cr_expect_str_eq(t->sendmail, "/usr/lib/sendmail");
    cr_expect_str_eq(t->state_dir, "/srv/tlsrpt");
    policy_free(p);
}

Test(policy, every_key_parsed)
{
    struct policy *p = parse_ok(
        "dns:\n"
        "  resolution: stub\n"
        "  upstreams: [\"127.0.0.1\", \"127.0.0.2:5353\", \"::1\", "
        "\"[::1]:5300\", \"[192.0.2.1]\"]\n"
        "  trust_anchors: /etc/dane/root.key\n"
        "  timeout: 1500ms\n"
        "  cache: /var/cache/dane-agent/dns\n"
        "  cache_max_ttl: 10m\n"
        "defaults:\n"
        "  level: dane-only\n"
        "  servername: SNI.Example.\n"
        "  ca_file: /etc/ssl/ca.pem\n"
        "  protocols: [TLSv1.3]\n"
        "  curves: [X448, P-521, x25519]\n"
        "  ffdhe_groups: [ffdhe3072]\n"
        "  dane_digests: [sha256]\n"
        "  insecure_mx_policy: encrypt\n"
        "  connect_timeout: 10s\n"
        "  helo_timeout: 2m\n"
        "  starttls_timeout: 45s\n"
        "  data_timeout: 1500ms\n"
        "  delivery_timeout: 999s\n"
        "  max_message_size: 10M\n"
        "  session_cache: /var/cache/dane\n"
        "  helo_name: Mail.Example.\n"
        "  legacy_cbc_suites: true\n"
        "  max_mx_hosts: 3\n"
        "  max_addresses: 4\n"
        "  max_reply_lines: 1000\n"
        "  max_reply_line_length: 512\n"
        "  user: dane-agent\n");
    const struct policy_entry *e = policy_defaults(p);
    const struct policy_dns *d = policy_dns(p);

    cr_assert_eq(d->nupstreams, 5);
    cr_expect_str_eq(d->upstreams[0].address, "127.0.0.1");
    cr_expect_eq(d->upstreams[0].port, 53);
    cr_expect_str_eq(d->upstreams[1].address, "127.0.0.2");
    cr_expect_eq(d->upstreams[1].port, 5353);
    cr_expect_str_eq(d->upstreams[2].address, "::1");
    cr_expect_eq(d->upstreams[2].port, 53);
    cr_expect_str_eq(d->upstreams[3].address, "::1");
    cr_expect_eq(d->upstreams[3].port, 5300);
    cr_expect_str_eq(d->upstreams[4].address, "192.0.2.1");
    cr_expect_str_eq(d->trust_anchors, "/etc/dane/root.key");
    cr_expect_eq(d->timeout_ms, 1500);
    cr_expect_str_eq(d->cache, "/var/cache/dane-agent/dns");
    cr_expect_eq(d->cache_max_ttl_ms, 600000);
    cr_expect_eq(e->level, POLICY_LEVEL_DANE_ONLY);
    cr_expect_str_eq(e->servername, "sni.example");
    cr_expect_str_eq(e->ca_file, "/etc/ssl/ca.pem");
    cr_expect_eq(e->protocols, POLICY_PROTO_TLS13);
    cr_assert_eq(e->ncurves, 3);
    cr_expect_eq(e->curves[0], 30);
    cr_expect_eq(e->curves[1], 25);
    cr_expect_eq(e->curves[2], 29);
    cr_assert_eq(e->nffdhe_groups, 1);
    cr_expect_eq(e->ffdhe_groups[0], 257);
    cr_assert_eq(e->ndane_digests, 1);
    cr_expect_eq(e->dane_digests[0], 1);
    cr_expect_eq(e->insecure_mx_policy, POLICY_INSECURE_MX_ENCRYPT);
    cr_expect_eq(e->connect_timeout_ms, 10000);
    cr_expect_eq(e->helo_timeout_ms, 120000);
    cr_expect_eq(e->starttls_timeout_ms, 45000);
    cr_expect_eq(e->data_timeout_ms, 1500);
    cr_expect_eq(e->delivery_timeout_ms, 999000);
    cr_expect_eq(e->max_message_size, 10u * 1024 * 1024);
    cr_expect_str_eq(e->session_cache, "/var/cache/dane");
    cr_expect_str_eq(e->helo_name, "mail.example");
    cr_expect_eq(e->legacy_cbc_suites, 1);
    cr_expect_eq(e->max_mx_hosts, 3);
    cr_expect_eq(e->max_addresses, 4);
    cr_expect_eq(e->max_reply_lines, 1000);
    cr_expect_eq(e->max_reply_line_length, 512);
    cr_expect_str_eq(e->user, "dane-agent");
    policy_free(p);
}

Test(policy, durations_and_sizes_units)
{
    struct policy *p = parse_ok("defaults:\n  connect_timeout: 16m\n"
                                "  helo_timeout: 999000ms\n"
                                "  max_message_size: 1G\n"
                                "  data_timeout: 1s\n"
                                "dns:\n  timeout: 100ms\n");
    const struct policy_entry *e = policy_defaults(p);

    cr_expect_eq(e->connect_timeout_ms, 960000);
    cr_expect_eq(e->helo_timeout_ms, 999000);
    cr_expect_eq(e->data_timeout_ms, 1000);
    cr_expect_eq(e->max_message_size, 1024u * 1024 * 1024);
    cr_expect_eq(policy_dns(p)->timeout_ms, 100);
    policy_free(p);
}

Test(policy, one_hour_is_above_the_bound)
{
    char err[256];

    cr_expect_null(parse("defaults:\n  connect_timeout: 1h\n", err, sizeof(err)));
    cr_expect_str_eq(err, "t.yaml:2:20: connect_timeout: 1h is out of range "
                     "(1000ms to 999000ms)");
}

Test(policy, fingerprint_digests_decoded)
{
    struct policy *p = parse_ok(
        "destinations:\n"
        "  \"[mx.example]\":\n"
        "    level: fingerprint\n"
        "    match:\n"
        "      - \"sha256:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
        "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\"\n"
        "      - \"sha512:" D256 D256 "\"\n");
    const struct policy_entry *e = policy_lookup(p, "[mx.example]");

    cr_assert_eq(e->level, POLICY_LEVEL_FINGERPRINT);
    cr_assert_eq(e->nmatch, 2);
    cr_expect_eq(e->match[0].kind, POLICY_MATCH_DIGEST);
    cr_expect_eq(e->match[0].digest_mtype, 1);
    cr_assert_eq(e->match[0].digest_len, 32);
    cr_expect_eq(e->match[0].digest[0], 0x00);
    cr_expect_eq(e->match[0].digest[10], 0xAA);
    cr_expect_eq(e->match[0].digest[31], 0xFF);
    cr_expect_eq(e->match[1].digest_mtype, 2);
    cr_assert_eq(e->match[1].digest_len, 64);
    cr_expect_eq(e->match[1].digest[63], 0xFF);
    cr_expect_eq(e->line, 2);
    policy_free(p);
}

Test(policy, verify_secure_match_defaults_and_names)
{
    struct policy *p = parse_ok(
        "destinations:\n"
        "  v.example: {level: verify}\n"
        "  s.example: {level: secure}\n"
        "  n.example: {level: secure, match: [dot-nexthop, MX.Example., .Sub.Example]}\n");
    const struct policy_entry *v = policy_lookup(p, "v.example");
    const struct policy_entry *s = policy_lookup(p, "s.example");
    const struct policy_entry *n = policy_lookup(p, "n.example");

    cr_assert_eq(v->nmatch, 1);
    cr_expect_eq(v->match[0].kind, POLICY_MATCH_HOSTNAME);
    cr_assert_eq(s->nmatch, 2);
    cr_expect_eq(s->match[0].kind, POLICY_MATCH_NEXTHOP);
    cr_expect_eq(s->match[1].kind, POLICY_MATCH_DOT_NEXTHOP);
    cr_assert_eq(n->nmatch, 3);
    cr_expect_eq(n->match[0].kind, POLICY_MATCH_DOT_NEXTHOP);
    cr_expect_null(n->match[0].text);
    cr_expect_eq(n->match[1].kind, POLICY_MATCH_NAME);
    cr_expect_str_eq(n->match[1].text, "mx.example");
    cr_expect_str_eq(n->match[2].text, ".sub.example");
    policy_free(p);
}

Test(policy, inheritance_from_defaults)
{
    struct policy *p = parse_ok(
        "destinations:\n"
        "  a.example: {connect_timeout: 5s}\n"
        "  b.example: {level: may, curves: [P-384]}\n"
        "  c.example: {match: [sha256:" D256 "]}\n"
        "defaults:\n"
        "  level: fingerprint\n"
        "  match: [\"sha256:" D256 "\"]\n"
        "  curves: [X25519]\n"
        "  helo_timeout: 7s\n");
    const struct policy_entry *a = policy_lookup(p, "a.example");
    const struct policy_entry *b = policy_lookup(p, "b.example");
    const struct policy_entry *c = policy_lookup(p, "c.example");

    /* a sets one key, inherits the level and its match */
    cr_expect_eq(a->level, POLICY_LEVEL_FINGERPRINT);
    cr_expect_eq(a->nmatch, 1);
    cr_expect_eq(a->connect_timeout_ms, 5000);
    cr_expect_eq(a->helo_timeout_ms, 7000);
    cr_assert_eq(a->ncurves, 1);
    cr_expect_eq(a->curves[0], 29);
    cr_expect_str_eq(a->key, "a.example");
    /* b sets a level: the defaults' match does not come along */
    cr_expect_eq(b->level, POLICY_LEVEL_MAY);
    cr_expect_eq(b->nmatch, 0);
    cr_expect_eq(b->curves[0], 24);
    cr_expect_eq(b->helo_timeout_ms, 7000);
    cr_expect_eq(b->connect_timeout_ms, 30000, "built-in through defaults");
    /* c sets only a match, valid at the inherited level */
    cr_expect_eq(c->level, POLICY_LEVEL_FINGERPRINT);
    cr_expect_eq(c->nmatch, 1);
    policy_free(p);
}

Test(policy, levels_by_name)
{
    static const char *const names[] = {"none", "may", "encrypt", "dane",
        "dane-only", "fingerprint", "verify", "secure"};
    enum policy_level level;

    for (size_t i = 0; i < NELEM(names); i++) {
        cr_assert_eq(policy_level_from_name(names[i], strlen(names[i]), &level), 0);
        cr_expect_eq(level, (enum policy_level)i);
        cr_expect_str_eq(policy_level_name(level), names[i]);
    }
    cr_expect_eq(policy_level_from_name("dane-onl", 8, &level), -1);
    cr_expect_eq(policy_level_from_name("danex", 4, &level), 0, "len bounds it");
    cr_expect_eq(level, POLICY_LEVEL_DANE);
    cr_expect_eq(policy_level_from_name("Verify", 6, &level), -1);
}

Test(policy, bom_and_crlf_accepted)
{
    char err[256];
    struct policy *p = parse("\xEF\xBB\xBF" "defaults:\r\n  level: may\r\n"
                             "  lvl: x\r\n", err, sizeof(err));

    cr_expect_null(p);
    cr_expect_str_eq(err, "t.yaml:3:3: unknown key \"lvl\" in defaults");
    p = parse_ok("\xEF\xBB\xBF" "defaults:\r\n  level: may\r\n# caf\xc3\xa9\r\n");
    cr_expect_eq(policy_defaults(p)->level, POLICY_LEVEL_MAY);
    policy_free(p);
}

/* ---- lookup precedence ------------------------------------------------- */

/* Each entry has a distinct max_mx_hosts so the test can tell them apart;
 * defaults has 99. */
static const char precedence_policy[] =
    "defaults: {max_mx_hosts: 99}\n"
    "destinations:\n"
    "  example.com: {max_mx_hosts: 1}\n"
    "  \"example.com:587\": {max_mx_hosts: 2}\n"
    "  \"[mx.example.com]\": {max_mx_hosts: 3}\n"
    "  \"[mx.example.com]:587\": {max_mx_hosts: 4}\n"
    "  .example.com: {max_mx_hosts: 5}\n"
    "  .sub.example.com: {max_mx_hosts: 6}\n"
    "  \"[192.0.2.1]\": {max_mx_hosts: 7}\n"
    "  \"[2001:db8::1]:465\": {max_mx_hosts: 8}\n"
    "  xn--bcher-kva.example: {max_mx_hosts: 9}\n"
    "  .org: {max_mx_hosts: 10}\n";

struct lookup_case {
    const char *name;
    const char *nexthop;
    unsigned want;              /* max_mx_hosts of the entry that wins */
};

static const struct lookup_case lookup_cases[] = {
    {"exact_domain", "example.com", 1},
    {"case_insensitive", "EXAMPLE.Com", 1},
    {"trailing_dot_ignored", "example.com.", 1},
    {"default_port_is_the_domain", "example.com:25", 1},
    {"domain_port_exact", "example.com:587", 2},
    {"domain_other_port_falls_back_to_domain", "example.com:2525", 1},
    {"bracket_exact", "[mx.example.com]", 3},
    {"bracket_case_dot_default_port", "[MX.Example.COM.]:25", 3},
    {"bracket_port_exact", "[mx.example.com]:587", 4},
    {"bracket_other_port_falls_back", "[mx.example.com]:465", 3},
    {"parent_matches_subdomain", "a.example.com", 5},
    {"parent_nearest_first", "a.sub.example.com", 6},
    {"parent_not_the_domain_itself", "sub.example.com", 5},
    {"parent_deep_with_port", "b.a.sub.example.com:587", 6},
    {"parent_after_port_fallback", "mx.example.com:587", 5},
    {"bracket_never_parent", "[a.example.com]", 99},
    {"bracket_never_domain", "[example.com]", 99},
    {"address_literal", "[192.0.2.1]", 7},
    {"ipv6_canonical_form", "[ipv6:2001:DB8:0::1]:465", 8},
    {"ipv6_other_port", "[2001:db8::1]", 99},
    {"ipv6_tag_any_case", "[IPV6:2001:db8::1]:465", 8},
    {"a_label", "XN--BCHER-KVA.example.", 9},
    {"u_label_nexthop_gets_defaults", "b\xc3\xbc" "cher.example", 99},
    {"tld_parent", "example.org", 10},
    {"unrelated", "example.net", 99},
    {"suffix_is_not_parent", "notexample.com", 99},
    {"longer_is_not_exact", "example.com.evil", 99},
    {"empty_gets_defaults", "", 99},
    {"garbage_gets_defaults", "exa mple.com", 99},
    {"unclosed_bracket_gets_defaults", "[mx.example.com", 99},
};

ParameterizedTestParameters(policy, lookup_precedence)
{
    static size_t idx[NELEM(lookup_cases)];
    for (size_t i = 0; i < NELEM(idx); i++)
        idx[i] = i;
    return cr_make_param_array(size_t, idx, NELEM(idx));
}

ParameterizedTest(size_t *i, policy, lookup_precedence)
{
    const struct lookup_case *c = &lookup_cases[*i];
    struct policy *p = parse_ok(precedence_policy);
    const struct policy_entry *e = policy_lookup(p, c->nexthop);

    cr_assert_not_null(e);
    cr_expect_eq(e->max_mx_hosts, c->want, "%s: %s: got entry %u (%s), want %u",
                 c->name, c->nexthop, e->max_mx_hosts, e->key, c->want);
    policy_free(p);
}

Test(policy, lookup_null_gets_defaults)
{
    struct policy *p = parse_ok(precedence_policy);

    cr_expect_eq(policy_lookup(p, NULL), policy_defaults(p));
    policy_free(p);
}

/* The lookup allocates nothing: the heap in use stays the same across many
 * lookups (glibc's accounting; sanitizer builds report zeros, so there this
 * checks only that lookups run). */
Test(policy, lookup_allocates_nothing)
{
    struct policy *p = parse_ok(precedence_policy);
    struct mallinfo2 before, after;

    before = mallinfo2();
    for (size_t i = 0; i < 1000; i++)
        (void)policy_lookup(p, lookup_cases[i % NELEM(lookup_cases)].nexthop);
    after = mallinfo2();
    cr_expect_eq(after.uordblks, before.uordblks);
    cr_expect_eq(after.hblkhd, before.hblkhd);
    policy_free(p);
}

Test(policy, free_null_is_noop)
{
    policy_free(NULL);
}

Test(policy, mta_sts_by_level_unless_configured)
{
    struct policy *p = parse_ok("defaults:\n  level: dane\n"
                                "destinations:\n"
                                "  may.example: { level: may }\n"
                                "  verify.example: { level: verify }\n"
                                "  off.example: { mta_sts: false }\n"
                                "  on.example: { level: encrypt, mta_sts: true }\n");

    cr_expect_eq(policy_mta_sts(policy_defaults(p)), 1, "dane: on");
    cr_expect_eq(policy_mta_sts(policy_lookup(p, "may.example")), 1, "may: on");
    cr_expect_eq(policy_mta_sts(policy_lookup(p, "verify.example")), 0, "verify: off");
    cr_expect_eq(policy_mta_sts(policy_lookup(p, "off.example")), 0, "configured off");
    cr_expect_eq(policy_mta_sts(policy_lookup(p, "on.example")), 1, "configured on");
    policy_free(p);
}

Test(policy, mta_sts_wants_a_boolean)
{
    char err[256];

    cr_assert_null(parse("defaults:\n  mta_sts: yes\n", err, sizeof(err)));
    cr_expect_str_eq(err, "t.yaml:2:12: mta_sts: expected true or false, found \"yes\"");
}
