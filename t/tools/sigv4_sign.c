/*
 * ql_sigv4 as a command, for t/mock/test_sigv4.py to check the C signer
 * against the mock's own verifier (t/mock/sigv4.py):
 *
 *   sigv4_sign [-c | -s] [-3] METHOD PATH QUERY REGION SERVICE AKID TIME
 *              [NAME:VALUE ...] < body
 *
 * TIME in unix seconds; the headers as they go on the wire, and an
 * x-amz-date of TIME added when none is given (as the gateway does).  The
 * secret comes from $QL_SIGV4_SECRET and the session token, if any, from
 * $QL_SIGV4_TOKEN, not from argv.  stdout: the Authorization value, or
 * with -c the canonical request, with -s the string to sign.  Exit 0, 1
 * when the signer refuses the request, 2 on a usage or I/O error.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ql_sigv4.h"


#define MAX_HEADERS  (QL_SIGV4_HEADERS_MAX + 2)


static int
usage(void)
{
    fprintf(stderr, "usage: sigv4_sign [-c | -s] [-3] METHOD PATH QUERY "
            "REGION SERVICE AKID TIME [NAME:VALUE ...] < body\n");

    return 2;
}


/* the body's hex SHA-256, read from stdin in pieces */
static int
body_hash(char out[QL_SIGV4_HASH_HEX + 1])
{
    size_t             n;
    char               buf[4096];
    ql_sigv4_sha256_t  h;

    if (ql_sigv4_sha256_init(&h) != 0) {
        return -1;
    }

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0) {
        if (ql_sigv4_sha256_update(&h, buf, n) != 0) {
            return -1;
        }
    }

    if (ferror(stdin)) {
        ql_sigv4_sha256_free(&h);
        return -1;
    }

    return ql_sigv4_sha256_final(&h, out);
}


int
main(int argc, char **argv)
{
    int                 c, n, mode;
    char               *end, *colon, out[8192];
    char                hash[QL_SIGV4_HASH_HEX + 1];
    char                amz[QL_SIGV4_AMZ_DATE_LEN + 1];
    size_t              i, nh;
    unsigned            flags, have_date;
    const char         *secret, *token;
    ql_sigv4_header_t   h[MAX_HEADERS];
    ql_sigv4_request_t  req;

    mode = 0;
    flags = 0;

    while ((c = getopt(argc, argv, "cs3")) != -1) {
        switch (c) {
        case 'c':
        case 's':
            mode = c;
            break;
        case '3':
            flags |= QL_SIGV4_S3_PATH;
            break;
        default:
            return usage();
        }
    }

    argv += optind;
    argc -= optind;

    secret = getenv("QL_SIGV4_SECRET");
    token = getenv("QL_SIGV4_TOKEN");

    if (argc < 7 || secret == NULL
        || (size_t) argc - 7 > MAX_HEADERS - 1)
    {
        return usage();
    }

    memset(&req, 0, sizeof(req));
    req.method = argv[0];
    req.path = argv[1];
    req.path_len = strlen(argv[1]);
    req.query = argv[2];
    req.query_len = strlen(argv[2]);
    req.region = argv[3];
    req.service = argv[4];
    req.access_key_id = argv[5];
    req.access_key_id_len = strlen(argv[5]);
    req.secret = secret;
    req.secret_len = strlen(secret);
    req.flags = flags;

    req.time = (time_t) strtoll(argv[6], &end, 10);
    if (*argv[6] == '\0' || *end != '\0') {
        return usage();
    }

    if (token != NULL && *token != '\0') {
        req.session_token = token;
        req.session_token_len = strlen(token);
    }

    nh = 0;
    have_date = 0;

    for (i = 7; i < (size_t) argc; i++) {
        colon = strchr(argv[i], ':');
        if (colon == NULL) {
            return usage();
        }

        h[nh].name = argv[i];
        h[nh].name_len = (size_t) (colon - argv[i]);
        h[nh].value = colon + 1;
        h[nh].value_len = strlen(colon + 1);
        have_date |= h[nh].name_len == 10
                     && strncasecmp(h[nh].name, "x-amz-date", 10) == 0;
        nh++;
    }

    if (!have_date) {
        if (ql_sigv4_amz_date(req.time, amz) != 0) {
            return 1;
        }

        h[nh].name = "x-amz-date";
        h[nh].name_len = 10;
        h[nh].value = amz;
        h[nh].value_len = QL_SIGV4_AMZ_DATE_LEN;
        nh++;
    }

    req.headers = h;
    req.nheaders = nh;

    if (body_hash(hash) != 0) {
        return 2;
    }

    req.payload_hash = hash;

    switch (mode) {
    case 'c':
        n = ql_sigv4_canonical_request(&req, out, sizeof(out));
        break;
    case 's':
        n = ql_sigv4_string_to_sign(&req, out, sizeof(out));
        break;
    default:
        n = ql_sigv4_sign(&req, NULL, out, sizeof(out));
    }

    if (n < 0) {
        return 1;
    }

    return printf("%s\n", out) < 0 || fflush(stdout) != 0 ? 2 : 0;
}
