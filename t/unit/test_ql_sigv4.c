/*
 * cmocka tests: AWS SigV4 (ql_sigv4).
 *
 * The vectors are AWS's published test suite (aws-sig-v4-test-suite, as
 * botocore carries it in tests/unit/auth/aws4_testsuite, and the
 * unnormalized, signed-body and session-token cases of awslabs/aws-c-auth
 * tests/aws-signing-test-suite/v4; Apache-2.0), credentials AKIDEXAMPLE,
 * us-east-1, service "service", 20150830T123600Z: each one's canonical
 * request, the SHA-256 its string to sign carries and the Authorization
 * value, exactly.  None of their paths holds a "%", so they sign the same
 * encoded once or twice; the *-unnormalized ones keep their dot segments
 * and run with QL_SIGV4_S3_PATH.  Then the IAM ListUsers example of AWS's
 * documentation, and a Bedrock request (double-encoded path, session
 * token) as AWS's JavaScript SDK (@smithy/signature-v4) signs it.
 */

#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "ql_crypto.h"
#include "ql_sigv4.h"


#define AKID    "AKIDEXAMPLE"
#define SECRET  "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AMZ     "20150830T123600Z"
#define EMPTY_HASH                                                            \
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* 2015-08-30T12:36:00Z */
#define T0      1440938160

/* the STS session token of AWS's post-sts-* vectors */
#define AWS_STS_TOKEN                                                         \
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTw"        \
    "dQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi"        \
    "/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V"        \
    "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPk"        \
    "UL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabI"        \
    "Qwj2ICCR/oLxBA=="

#define AUTH(service, names, sig)                                             \
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/" service     \
    "/aws4_request, SignedHeaders=" names ", Signature=" sig

#define STS(hash)                                                             \
    "AWS4-HMAC-SHA256\n" AMZ "\n20150830/us-east-1/service/aws4_request\n"    \
    hash

#define H(n, v)  { n, sizeof(n) - 1, v, sizeof(v) - 1 }

#define MAXH     (QL_SIGV4_HEADERS_MAX + 2)


typedef struct {
    const char  *name;
    const char  *method;
    const char  *path;
    const char  *query;
    const char  *headers;       /* "Name:value\n"; a folded line kept */
    const char  *body;
    const char  *token;         /* signed as x-amz-security-token */
    unsigned     flags;
    const char  *creq;
    const char  *creq_hash;     /* the string to sign's last line */
    const char  *names;
    const char  *sig;
} vector_t;


static const vector_t  vectors[] = {

    { "get-header-key-duplicate",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1:value2\n"
      "My-Header1:value2\n"
      "My-Header1:value1\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value2,value2,value1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
      "host;my-header1;x-amz-date",
      "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea" },

    { "get-header-value-multiline",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1:value1\n"
      "  value2\n"
      "     value3\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1 value2 value3\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "e99419459a677bc11de234014be3c4e72c1ea5b454ceb58b613061f5d7a162e8",
      "host;my-header1;x-amz-date",
      "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd" },

    { "get-header-value-order",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1:value4\n"
      "My-Header1:value1\n"
      "My-Header1:value3\n"
      "My-Header1:value2\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value4,value1,value3,value2\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
      "host;my-header1;x-amz-date",
      "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01" },

    { "get-header-value-trim",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1: value1\n"
      "My-Header2: \"a   b   c\"\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1\n"
      "my-header2:\"a b c\"\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;my-header2;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
      "host;my-header1;my-header2;x-amz-date",
      "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736" },

    { "get-unreserved",
      "GET",
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
      "z",
      "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
      "z\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
      "host;x-amz-date",
      "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f" },

    { "get-utf8",
      "GET", "/\341\210\264", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/%E1%88%B4\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
      "host;x-amz-date",
      "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85" },

    { "get-vanilla",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-vanilla-empty-query-key",
      "GET", "/", "Param1=value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "1e24db194ed7d0eec2de28d7369675a243488e08526e8c1c73571282f7c517ab",
      "host;x-amz-date",
      "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb" },

    { "get-vanilla-query",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-vanilla-query-order-encoded",
      "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "868294f5c38bd141c4972a373a76654f1418a8e4fc18b2e7903ae45e8ae0ec71",
      "host;x-amz-date",
      "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac" },

    { "get-vanilla-query-order-key",
      "GET", "/", "Param1=value2&Param1=Value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "Param1=Value1&Param1=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
      "host;x-amz-date",
      "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1" },

    { "get-vanilla-query-order-key-case",
      "GET", "/", "Param2=value2&Param1=value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "Param1=value1&Param2=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
      "host;x-amz-date",
      "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },

    { "get-vanilla-query-order-value",
      "GET", "/", "Param1=value2&Param1=value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "Param1=value1&Param1=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "c968629d70850097a2d8781c9bf7edcb988b04cac14cca9be4acc3595f884606",
      "host;x-amz-date",
      "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694" },

    { "get-vanilla-query-unreserved",
      "GET",
      "/",
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
      "z",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
      "=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxy"
      "z\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
      "host;x-amz-date",
      "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197" },

    { "get-vanilla-utf8-query",
      "GET", "/", "\341\210\264=bar",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "%E1%88%B4=bar\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
      "host;x-amz-date",
      "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04" },

    { "get-relative",
      "GET", "/example/..", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-relative-relative",
      "GET", "/example1/example2/../..", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-slash",
      "GET", "//", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-slash-dot-slash",
      "GET", "/./", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
      "host;x-amz-date",
      "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },

    { "get-slash-pointless-dot",
      "GET", "/./example", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/example\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
      "host;x-amz-date",
      "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5" },

    { "get-slashes",
      "GET", "//example//", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/example/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
      "host;x-amz-date",
      "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84" },

    { "get-space",
      "GET", "/example space/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/example%20space/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
      "host;x-amz-date",
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },

    { "get-special-character",
      "GET", "/example/$delete", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "GET\n"
      "/example/%24delete\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "4053e45b5cef7cec5e17f736b1c12b3faf0388fd4c0bd24326386f132039ce5c",
      "host;x-amz-date",
      "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27" },

    { "post-header-key-case",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
      "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },

    { "post-header-key-sort",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1:value1\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "9368318c2967cf6de74404b30c65a91e8f6253e0a8659d6d5319f1a812f87d65",
      "host;my-header1;x-amz-date",
      "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c" },

    { "post-header-value-case",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "My-Header1:VALUE1\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:VALUE1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
      "host;my-header1;x-amz-date",
      "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d" },

    { "post-sts-header-after",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
      "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },

    { "post-sts-header-before",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Security-Token:" AWS_STS_TOKEN "\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:" AWS_STS_TOKEN "\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
      "host;x-amz-date;x-amz-security-token",
      "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },

    { "post-vanilla",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
      "host;x-amz-date",
      "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },

    { "post-vanilla-empty-query-value",
      "POST", "/", "Param1=value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
      "host;x-amz-date",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },

    { "post-vanilla-query",
      "POST", "/", "Param1=value1",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, 0,
      "POST\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
      "host;x-amz-date",
      "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11" },

    { "post-x-www-form-urlencoded",
      "POST", "/", "",
      "Content-Type:application/x-www-form-urlencoded\n"
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      "Param1=value1", NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
      "content-type;host;x-amz-date",
      "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a" },

    { "post-x-www-form-urlencoded-parameters",
      "POST", "/", "",
      "Content-Type:application/x-www-form-urlencoded; charset=utf8\n"
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      "Param1=value1", NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "content-type:application/x-www-form-urlencoded; charset=utf8\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
      "content-type;host;x-amz-date",
      "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe" },

    { "c-auth/get-relative-unnormalized",
      "GET", "/example/..", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "/example/..\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "0511f456aa502b456d135fcb9d749374a55228f9dbeedda1eacf659e05b0615b",
      "host;x-amz-date",
      "eca7ead57bb5aa5c8e28007acd4ff04e1ff9a0ff3b237ec1554a184887ff9282" },

    { "c-auth/get-relative-relative-unnormalized",
      "GET", "/example1/example2/../..", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "/example1/example2/../..\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "76115030c0f3ff06c20fdff5ceb6d5e0b835a1743e00b94fea7c7f381269437b",
      "host;x-amz-date",
      "dc33e0856fd4baca4d7aa2146c38958283844764f38c74252a333df5e613003b" },

    { "c-auth/get-slash-dot-slash-unnormalized",
      "GET", "/./", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "/./\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "d67825e2268bd77a97c7688b8d72c31a3c1855b309808505ba0a9747d2465aa7",
      "host;x-amz-date",
      "68714168e6557f8f2de0ef956fc24dc2593a4bd2961f8df51898d8a134695145" },

    { "c-auth/get-slash-pointless-dot-unnormalized",
      "GET", "/./example", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "/./example\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "73895e0e829507e28e39fd24669aedc2434a8e179e547e3c075b42921f952cdb",
      "host;x-amz-date",
      "beb03f223f7deae4146464f06e29eebbee9c8afbe15c290cf07aa8b119e14cff" },

    { "c-auth/get-slash-unnormalized",
      "GET", "//", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "//\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "80cb39203d058af815de2b79250ff56e1b73eb9b4718c86556cdc6f150c5d209",
      "host;x-amz-date",
      "c88bcd3d312d75078c0cd961d6deae3f4c754924b01669efcfcb439fd5e5b76e" },

    { "c-auth/get-slashes-unnormalized",
      "GET", "//example//", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "//example//\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "528ec3105ee1f34ab014bb0a1a45da0ed2742a4fea3555149e5b4d5d201eb240",
      "host;x-amz-date",
      "87cca117541a147f6df867677d98a7d80dff226d2bfca9e4ffa899665623c7e5" },

    { "c-auth/get-space-unnormalized",
      "GET", "/example space/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL, NULL, QL_SIGV4_S3_PATH,
      "GET\n"
      "/example%20space/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
      "host;x-amz-date",
      "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741" },

    { "c-auth/post-x-www-form-urlencoded",
      "POST", "/", "",
      "Content-Type:application/x-www-form-urlencoded\n"
      "Host:example.amazonaws.com\n"
      "Content-Length:13\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a65419232"
      "9106275f4c7b24d0b6e\n",
      "Param1=value1", NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "content-length:13\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\n"
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a65419232"
      "9106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "b1edd1d03544c25390e32085d55b57acc9a3961bb59415ff86c45c3d89d16cfb",
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
      "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b" },

    { "c-auth/post-x-www-form-urlencoded-parameters",
      "POST", "/", "",
      "Content-Type:application/x-www-form-urlencoded; charset=utf-8\n"
      "Host:example.amazonaws.com\n"
      "Content-Length:13\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a65419232"
      "9106275f4c7b24d0b6e\n",
      "Param1=value1", NULL, 0,
      "POST\n"
      "/\n"
      "\n"
      "content-length:13\n"
      "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
      "host:example.amazonaws.com\n"
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a65419232"
      "9106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
      "a89f1a5b53e37702ee6363ce1da3ce8f54386f3c8f352ae652153c2982a0bc4d",
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
      "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422" },

    { "c-auth/get-vanilla-with-session-token",
      "GET", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL,
      "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
      0,
      "GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00"
      "fa31553b73ebf194267\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "067b36aa60031588cea4a4cde1f21215227a047690c72247f1d70b32fbbfad2b",
      "host;x-amz-date;x-amz-security-token",
      "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8" },

    { "c-auth/post-sts-header-before",
      "POST", "/", "",
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n",
      NULL,
      AWS_STS_TOKEN,
      0,
      "POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:" AWS_STS_TOKEN "\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
      "host;x-amz-date;x-amz-security-token",
      "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead" },
};


static char  out[2048];


/* "Name:value" lines into h; a line that starts blank folds into the last */
static size_t
parse_headers(const char *text, ql_sigv4_header_t *h, size_t max)
{
    size_t       n;
    const char  *p, *eol, *colon;

    n = 0;

    for (p = text; *p != '\0'; p = eol + 1) {
        eol = strchr(p, '\n');
        assert_non_null(eol);

        if (*p == ' ' || *p == '\t') {
            assert_true(n > 0);
            h[n - 1].value_len = (size_t) (eol - h[n - 1].value);
            continue;
        }

        assert_true(n < max);
        colon = memchr(p, ':', (size_t) (eol - p));
        assert_non_null(colon);

        h[n].name = p;
        h[n].name_len = (size_t) (colon - p);
        h[n].value = colon + 1;
        h[n].value_len = (size_t) (eol - (colon + 1));
        n++;
    }

    return n;
}


static ql_sigv4_request_t
request(const char *method, const char *path, const char *query,
    const ql_sigv4_header_t *h, size_t nh, const char *service)
{
    ql_sigv4_request_t  r;

    memset(&r, 0, sizeof(r));
    r.method = method;
    r.path = path;
    r.path_len = strlen(path);
    r.query = query;
    r.query_len = strlen(query);
    r.headers = h;
    r.nheaders = nh;
    r.payload_hash = EMPTY_HASH;
    r.time = T0;
    r.region = "us-east-1";
    r.service = service;
    r.access_key_id = AKID;
    r.access_key_id_len = sizeof(AKID) - 1;
    r.secret = SECRET;
    r.secret_len = sizeof(SECRET) - 1;

    return r;
}


static const char *
sign(const ql_sigv4_request_t *r, ql_sigv4_key_t *key)
{
    int  n;

    n = ql_sigv4_sign(r, key, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal((size_t) n, strlen(out));

    return out;
}


static const char *
canonical(const ql_sigv4_request_t *r)
{
    int  n;

    n = ql_sigv4_canonical_request(r, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal((size_t) n, strlen(out));

    return out;
}


static const ql_sigv4_header_t  vanilla[] = {
    H("Host", "example.amazonaws.com"),
    H("X-Amz-Date", AMZ),
};


static void
test_aws_suite(void **state)
{
    size_t              i, nh;
    char                hash[QL_SIGV4_HASH_HEX + 1], want[512];
    ql_sigv4_key_t      key;
    ql_sigv4_header_t   h[MAXH];
    ql_sigv4_request_t  r;
    const vector_t     *v;

    (void) state;

    memset(&key, 0, sizeof(key));

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        v = &vectors[i];
        print_message("  %s\n", v->name);

        nh = parse_headers(v->headers, h, MAXH);
        r = request(v->method, v->path, v->query, h, nh, "service");
        r.flags = v->flags;

        if (v->token) {
            r.session_token = v->token;
            r.session_token_len = strlen(v->token);
        }

        if (v->body) {
            assert_int_equal(ql_sigv4_sha256_hex(v->body, strlen(v->body),
                                                 hash), 0);
            r.payload_hash = hash;
        }

        assert_string_equal(canonical(&r), v->creq);

        snprintf(want, sizeof(want), "%s%s", STS(""), v->creq_hash);
        assert_int_equal(ql_sigv4_string_to_sign(&r, out, sizeof(out)),
                         strlen(want));
        assert_string_equal(out, want);

        snprintf(want, sizeof(want), AUTH("service", "%s", "%s"), v->names,
                 v->sig);
        assert_string_equal(sign(&r, NULL), want);

        /* a cache kept from vector to vector: one day, one scope */
        assert_string_equal(sign(&r, &key), want);
    }
}


/* AWS's documentation: GET iam ListUsers (Signature Version 4 examples) */
static void
test_iam_example(void **state)
{
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   h[] = {
        H("X-Amz-Date", AMZ),
        H("Host", "iam.amazonaws.com"),
        H("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    };

    (void) state;

    /* headers in any order and case; the path "" is "/" */
    r = request("GET", "", "Action=ListUsers&Version=2010-05-08", h, 3,
                "iam");
    assert_string_equal(canonical(&r),
        "GET\n/\nAction=ListUsers&Version=2010-05-08\n"
        "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
        "host:iam.amazonaws.com\nx-amz-date:" AMZ "\n\n"
        "content-type;host;x-amz-date\n" EMPTY_HASH);
    assert_string_equal(sign(&r, NULL),
        AUTH("iam", "content-type;host;x-amz-date",
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"));
}


/*
 * A Bedrock model id's ":" goes on the wire as %3A and signs as %253A;
 * the session token is signed, given as a header or as the token.
 */
static void
test_bedrock(void **state)
{
    int                 n;
    char                hash[QL_SIGV4_HASH_HEX + 1], seg[128], path[256];
    char                a[512];
    const char         *id;
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   h[] = {
        H("host", "127.0.0.1:8090"),
        H("x-amz-date", AMZ),
        H("x-amz-security-token", "TOKEN"),
    };

    (void) state;

    assert_int_equal(ql_sigv4_sha256_hex("{\"a\":1}", 7, hash), 0);

    id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
    n = ql_sigv4_encode_segment(id, strlen(id), seg, sizeof(seg));
    assert_string_equal(seg, "us.anthropic.claude-sonnet-4-5-20250929-v1%3A0");
    assert_int_equal(n, strlen(id) + 2);
    snprintf(path, sizeof(path), "/model/%s/invoke", seg);

    r = request("POST", path, "", h, 3, "bedrock");
    r.payload_hash = hash;

    /* @smithy/signature-v4's signature for this request */
    assert_string_equal(sign(&r, NULL),
        AUTH("bedrock", "host;x-amz-date;x-amz-security-token",
        "d74f1ccdeb9e48f0e85fc42e7654a6b32c00bf5be4d00a74c3366f7dae33efb5"));
    strcpy(a, out);

    assert_string_equal(canonical(&r),
        "POST\n"
        "/model/us.anthropic.claude-sonnet-4-5-20250929-v1%253A0/invoke\n"
        "\n"
        "host:127.0.0.1:8090\nx-amz-date:" AMZ "\n"
        "x-amz-security-token:TOKEN\n\n"
        "host;x-amz-date;x-amz-security-token\n"
        "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862");

    /* the token as the token: the same signature */
    r.nheaders = 2;
    r.session_token = "TOKEN";
    r.session_token_len = 5;
    assert_string_equal(sign(&r, NULL), a);

    /* as both: refused */
    r.nheaders = 3;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    /* S3 would sign the path as sent */
    r.nheaders = 2;
    r.flags = QL_SIGV4_S3_PATH;
    assert_non_null(strstr(canonical(&r), "\n/model/us.anthropic.claude-"
                           "sonnet-4-5-20250929-v1%3A0/invoke\n"));
    assert_string_not_equal(sign(&r, NULL), a);

    /* the streaming path of the brief's example */
    id = "us.anthropic.claude-sonnet-4-20250514-v1:0";
    n = ql_sigv4_encode_segment(id, strlen(id), seg, sizeof(seg));
    assert_int_equal(n, strlen(id) + 2);
    snprintf(path, sizeof(path), "/model/%s/invoke-with-response-stream",
             seg);
    r = request("POST", path, "", h, 2, "bedrock");
    assert_string_equal(canonical(&r),
        "POST\n/model/us.anthropic.claude-sonnet-4-20250514-v1%253A0/"
        "invoke-with-response-stream\n\n"
        "host:127.0.0.1:8090\nx-amz-date:" AMZ "\n\n"
        "host;x-amz-date\n" EMPTY_HASH);
}


/* the canonical URI: dot and empty segments, and the second encoding */
static void
test_path(void **state)
{
    size_t               i;
    ql_sigv4_request_t   r;
    char                 deep[3 * 65 + 1];
    static const char   *cases[][3] = {
        /* wire path, canonical (not S3), canonical (S3) */
        { "/a%3a0/b c//./", "/a%253a0/b%20c/", "/a%3A0/b%20c//./" },
        { "/../a/./b/../c", "/a/c", "/../a/./b/../c" },
        { "/a/%2E%2E/b", "/a/%252E%252E/b", "/a/../b" },
        { "/a%2Fb", "/a%252Fb", "/a%2Fb" },
        { "/%zz%4", "/%25zz%254", "/%25zz%254" },
        { "/a/.", "/a", "/a/." },
        { "/\xc3\xa9", "/%C3%A9", "/%C3%A9" },
        { "", "/", "/" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = request("GET", cases[i][0], "", vanilla, 2, "service");
        assert_true(strncmp(canonical(&r), "GET\n", 4) == 0);
        *strchr(out + 4, '\n') = '\0';
        assert_string_equal(out + 4, cases[i][1]);

        r.flags = QL_SIGV4_S3_PATH;
        assert_true(strncmp(canonical(&r), "GET\n", 4) == 0);
        *strchr(out + 4, '\n') = '\0';
        assert_string_equal(out + 4, cases[i][2]);
    }

    /* a path that does not start with "/", or holds a query */
    r = request("GET", "a/b", "", vanilla, 2, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    r = request("GET", "/a?b=c", "", vanilla, 2, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    /* 64 segments are kept, not 65 */
    for (i = 0; i < 65; i++) {
        memcpy(deep + 3 * i, "/ab", 3);
    }

    deep[3 * 65] = '\0';
    r = request("GET", deep, "", vanilla, 2, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    deep[3 * 64] = '\0';
    r = request("GET", deep, "", vanilla, 2, "service");
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);
}


/* the canonical query: encoded once, sorted by name then value */
static void
test_query(void **state)
{
    size_t               i;
    char                *q;
    ql_sigv4_request_t   r;
    char                 many[6 * 65 + 1];
    static const char   *cases[][2] = {
        { "b=2&a=1", "a=1&b=2" },
        { "a=%3a&a=%3A", "a=%3A&a=%3A" },
        { "x=a b+c/d", "x=a%20b%2Bc%2Fd" },
        { "x=%41%7e%2f", "x=A~%2F" },
        { "x=%zz&y=%4", "x=%25zz&y=%254" },
        { "&&flag&&", "flag=" },
        { "Param-3=3&Param=2&Param1=1", "Param=2&Param-3=3&Param1=1" },
        { "a=2&a=1&a=", "a=&a=1&a=2" },
        { "%7A=1&y=2", "y=2&z=1" },
        { "=v&k=", "=v&k=" },
    };

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        r = request("GET", "/", cases[i][0], vanilla, 2, "service");
        assert_true(strncmp(canonical(&r), "GET\n/\n", 6) == 0);
        q = out + 6;
        *strchr(q, '\n') = '\0';
        assert_string_equal(q, cases[i][1]);
    }

    /* 64 pairs are taken, not 65 */
    for (i = 0; i < 65; i++) {
        snprintf(many + 6 * i, 7, "&a=%03zu", i);
    }

    r = request("GET", "/", many, vanilla, 2, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    many[6 * 64] = '\0';
    r = request("GET", "/", many, vanilla, 2, "service");
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);
}


/* names lowercased and sorted, values trimmed, repeats joined in order */
static void
test_canonical_headers(void **state)
{
    size_t              i;
    char                a[512];
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   many[QL_SIGV4_HEADERS_MAX + 1];
    ql_sigv4_header_t   h1[] = {
        H("host", "example.amazonaws.com"),
        H("x-amz-date", AMZ),
        H("my-header1", "value1"),
        H("My-Header1", "a   b"),
        H("X-Empty", ""),
        H("x-blank", " \t "),
    };
    ql_sigv4_header_t   h2[] = {
        H("My-Header1", " value1 "),
        H("x-empty", ""),
        H("HOST", "example.amazonaws.com"),
        H("x-blank", ""),
        H("my-header1", "\ta \t b  "),
        H("x-amz-date", AMZ),
    };

    (void) state;

    r = request("GET", "/", "", h1, 6, "service");
    assert_string_equal(canonical(&r),
        "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1,a b\n"
        "x-amz-date:" AMZ "\nx-blank:\nx-empty:\n\n"
        "host;my-header1;x-amz-date;x-blank;x-empty\n" EMPTY_HASH);
    strcpy(a, sign(&r, NULL));

    r = request("GET", "/", "", h2, 6, "service");
    assert_string_equal(sign(&r, NULL), a);

    /* a changed value changes the signature */
    h2[4].value = "a c";
    h2[4].value_len = 3;
    assert_string_not_equal(sign(&r, NULL), a);

    /* a value folded over lines is one line; a bare line break is not */
    h2[4].value = "a\r\n  b";
    h2[4].value_len = 6;
    assert_string_equal(sign(&r, NULL), a);

    h2[4].value = "a\r\nX-Evil: b";
    h2[4].value_len = 12;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    assert_string_equal(out, "");

    h2[4].value = "a\n";
    h2[4].value_len = 2;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    h2[4].value = "a\001";
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    /* names must be tokens */
    h2[4].value = "b";
    h2[4].value_len = 1;
    h2[4].name = "my header";
    h2[4].name_len = 9;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    h2[4].name = "my:header";
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    h2[4].name_len = 0;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    /* no host, or an x-amz-date that is not the time's */
    r = request("GET", "/", "", vanilla + 1, 1, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    r = request("GET", "/", "", vanilla, 2, "service");
    r.time = T0 + 1;
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);

    /* without x-amz-date (the caller signs "date" instead, say) */
    r = request("GET", "/", "", vanilla, 1, "service");
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "SignedHeaders=host, "));

    /* QL_SIGV4_HEADERS_MAX headers, and no more */
    for (i = 0; i < QL_SIGV4_HEADERS_MAX + 1; i++) {
        many[i] = vanilla[0];
    }

    r = request("GET", "/", "", many, QL_SIGV4_HEADERS_MAX + 1, "service");
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);
    r.nheaders = QL_SIGV4_HEADERS_MAX;
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);

    /* ... the session token one more */
    r.session_token = "t";
    r.session_token_len = 1;
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);
    assert_non_null(strstr(out, "host;x-amz-security-token, "));
}


static void
test_key_cache(void **state)
{
    size_t              i;
    char                a[512], amz[QL_SIGV4_AMZ_DATE_LEN + 1];
    char                secret[] = SECRET;
    ql_sigv4_key_t      key;
    ql_sigv4_request_t  r;
    ql_sigv4_header_t   h[2];
    unsigned char       day1[32], hash[32];

    (void) state;

    memcpy(h, vanilla, sizeof(h));
    h[1].value = amz;

    memset(&key, 0, sizeof(key));
    assert_int_equal(ql_sigv4_amz_date(T0, amz), 0);
    r = request("GET", "/", "", h, 2, "service");
    r.secret = secret;

    strcpy(a, sign(&r, &key));
    assert_string_equal(a, AUTH("service", "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
    assert_true(key.valid);
    assert_string_equal(key.date, "20150830");
    assert_string_equal(key.scope, "us-east-1/service");
    memcpy(day1, key.key, 32);

    /* the secret is not kept in clear */
    assert_null(memmem(&key, sizeof(key), SECRET, sizeof(SECRET) - 1));

    /* the cached key is used: a wrong one in the cache shows */
    key.key[0] ^= 1;
    assert_string_not_equal(sign(&r, &key), a);
    key.key[0] ^= 1;
    assert_string_equal(sign(&r, &key), a);

    /* later the same day: the same key; it signs as a fresh one would */
    r.time = T0 + 11 * 3600 + 23 * 60 + 59;
    assert_int_equal(ql_sigv4_amz_date(r.time, amz), 0);
    assert_string_equal(amz, "20150830T235959Z");
    strcpy(a, sign(&r, NULL));
    key.key[0] ^= 1;
    assert_string_not_equal(sign(&r, &key), a);
    key.key[0] ^= 1;
    assert_string_equal(sign(&r, &key), a);
    assert_memory_equal(key.key, day1, 32);

    /* the next day: derived again */
    r.time++;
    assert_int_equal(ql_sigv4_amz_date(r.time, amz), 0);
    assert_string_equal(amz, "20150831T000000Z");
    strcpy(a, sign(&r, &key));
    assert_string_equal(a, sign(&r, NULL));
    assert_string_equal(key.date, "20150831");
    assert_memory_not_equal(key.key, day1, 32);

    r.time = T0;
    assert_int_equal(ql_sigv4_amz_date(r.time, amz), 0);
    sign(&r, &key);
    assert_memory_equal(key.key, day1, 32);

    /* another region, another service */
    r.region = "eu-west-1";
    strcpy(a, sign(&r, &key));
    assert_string_equal(a, sign(&r, NULL));
    assert_string_equal(key.scope, "eu-west-1/service");
    assert_memory_not_equal(key.key, day1, 32);

    r.region = "us-east-1";
    r.service = "bedrock";
    strcpy(a, sign(&r, &key));
    assert_string_equal(a, sign(&r, NULL));
    assert_string_equal(key.scope, "us-east-1/bedrock");

    r.service = "service";
    sign(&r, &key);
    assert_memory_equal(key.key, day1, 32);

    /* a rotated secret of the same length, in the same memory */
    secret[0] = 'X';
    strcpy(a, sign(&r, &key));
    assert_string_equal(a, sign(&r, NULL));
    assert_memory_not_equal(key.key, day1, 32);
    assert_int_equal(ql_sigv4_sha256_hex(secret, sizeof(secret) - 1,
                                         out), 0);

    for (i = 0; i < 32; i++) {
        hash[i] = (unsigned char) (ql_hex_value(out[2 * i]) << 4
                                   | ql_hex_value(out[2 * i + 1]));
    }

    assert_memory_equal(key.secret_hash, hash, 32);

    secret[0] = 'w';
    sign(&r, &key);
    assert_memory_equal(key.key, day1, 32);

    /* a refused request leaves the cache as it was */
    r.secret_len = 0;
    assert_int_equal(ql_sigv4_sign(&r, &key, out, sizeof(out)), -1);
    assert_true(key.valid);
    assert_memory_equal(key.key, day1, 32);
}


/* the value and its NUL fit, or -1 and "" */
static void
test_bounds(void **state)
{
    int                 n, m;
    size_t              i;
    char                small[512];
    ql_sigv4_request_t  r;

    (void) state;

    r = request("GET", "/", "", vanilla, 2, "service");
    n = ql_sigv4_sign(&r, NULL, out, sizeof(out));
    m = ql_sigv4_canonical_request(&r, out + 1024, 1024);
    assert_true(n > 0 && m > 0);

    for (i = 0; i <= (size_t) n; i++) {
        memset(small, 'x', sizeof(small));
        assert_int_equal(ql_sigv4_sign(&r, NULL, small, i), -1);
        assert_true(i == 0 || small[0] == '\0');
        assert_true(small[i] == 'x');
    }

    assert_int_equal(ql_sigv4_sign(&r, NULL, small, (size_t) n + 1), n);
    assert_string_equal(small, out);

    for (i = 0; i <= (size_t) m; i++) {
        memset(small, 'x', sizeof(small));
        assert_int_equal(ql_sigv4_canonical_request(&r, small, i), -1);
        assert_true(small[i] == 'x');
    }

    assert_int_equal(ql_sigv4_canonical_request(&r, small, (size_t) m + 1),
                     m);
    assert_string_equal(small, out + 1024);

    assert_int_equal(ql_sigv4_string_to_sign(&r, small, 32), -1);
}


/* what is not a request to sign */
static void
test_bad_input(void **state)
{
    ql_sigv4_request_t  r, ok;

    (void) state;

    ok = request("GET", "/", "", vanilla, 2, "service");
    ok.query = NULL;
    assert_true(ql_sigv4_sign(&ok, NULL, out, sizeof(out)) > 0);

#define REFUSED(field, value)                                                 \
    r = ok;                                                                   \
    r.field = value;                                                          \
    assert_int_equal(ql_sigv4_sign(&r, NULL, out, sizeof(out)), -1);          \
    assert_int_equal(ql_sigv4_canonical_request(&r, out, sizeof(out)), -1)

    REFUSED(method, NULL);
    REFUSED(method, "");
    REFUSED(method, "GET /");
    REFUSED(path, NULL);
    REFUSED(query_len, 1);
    REFUSED(headers, NULL);
    REFUSED(payload_hash, NULL);
    REFUSED(payload_hash, "e3b0c442");
    REFUSED(payload_hash, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA49"
                          "5991B7852B855");
    REFUSED(region, NULL);
    REFUSED(region, "");
    REFUSED(region, "us-east-1/x");
    REFUSED(region, "a-region-name-far-too-long-for-any-scope-that-aws-has-"
                    "ever-used");
    REFUSED(service, "service, Signature=0");
    REFUSED(access_key_id, NULL);
    REFUSED(access_key_id_len, 0);
    REFUSED(access_key_id, "AKID, X");
    REFUSED(secret, NULL);
    REFUSED(secret_len, 0);
    REFUSED(secret_len, 1025);
    REFUSED(session_token_len, 1);
    REFUSED(time, (time_t) 1 << 60);

#undef REFUSED

    /* no query at all */
    r = ok;
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);

    /* the hash is read up to its 64th digit only */
    r = ok;
    r.payload_hash = EMPTY_HASH "and more";
    assert_true(ql_sigv4_sign(&r, NULL, out, sizeof(out)) > 0);
}


static void
test_amz_date(void **state)
{
    char  d[QL_SIGV4_AMZ_DATE_LEN + 1];

    (void) state;

    assert_int_equal(ql_sigv4_amz_date(T0, d), 0);
    assert_string_equal(d, AMZ);
    assert_int_equal(ql_sigv4_amz_date(0, d), 0);
    assert_string_equal(d, "19700101T000000Z");
    assert_int_equal(ql_sigv4_amz_date(-1, d), 0);
    assert_string_equal(d, "19691231T235959Z");
    assert_int_equal(ql_sigv4_amz_date(253402300799, d), 0);
    assert_string_equal(d, "99991231T235959Z");

    /* five digits of year, or none that fit: no date */
    assert_int_equal(ql_sigv4_amz_date(253402300800, d), -1);
    assert_string_equal(d, "");
    assert_int_equal(ql_sigv4_amz_date((time_t) 1 << 60, d), -1);
    assert_int_equal(ql_sigv4_amz_date(-30610224001, d), -1);
}


static void
test_sha256(void **state)
{
    char               hex[QL_SIGV4_HASH_HEX + 1];
    ql_sigv4_sha256_t  h;

    (void) state;

    assert_int_equal(ql_sigv4_sha256_hex(NULL, 0, hex), 0);
    assert_string_equal(hex, EMPTY_HASH);
    assert_int_equal(ql_sigv4_sha256_hex("Param1=value1", 13, hex), 0);
    assert_string_equal(hex, "9095672bbd1f56dfc5b65f3e153adc87"
                             "31a4a654192329106275f4c7b24d0b6e");

    /* a body in pieces, an empty one among them */
    assert_int_equal(ql_sigv4_sha256_init(&h), 0);
    assert_int_equal(ql_sigv4_sha256_update(&h, "Param1", 6), 0);
    assert_int_equal(ql_sigv4_sha256_update(&h, NULL, 0), 0);
    assert_int_equal(ql_sigv4_sha256_update(&h, "=", 1), 0);
    assert_int_equal(ql_sigv4_sha256_update(&h, "value1", 6), 0);
    assert_int_equal(ql_sigv4_sha256_final(&h, hex), 0);
    assert_string_equal(hex, "9095672bbd1f56dfc5b65f3e153adc87"
                             "31a4a654192329106275f4c7b24d0b6e");

    /* final frees: nothing works after it; free twice is harmless */
    assert_null(h.md);
    assert_int_equal(ql_sigv4_sha256_update(&h, "x", 1), -1);
    assert_int_equal(ql_sigv4_sha256_final(&h, hex), -1);
    ql_sigv4_sha256_free(&h);

    assert_int_equal(ql_sigv4_sha256_init(&h), 0);
    assert_int_equal(ql_sigv4_sha256_final(&h, hex), 0);
    assert_string_equal(hex, EMPTY_HASH);

    /* abandoned half way */
    assert_int_equal(ql_sigv4_sha256_init(&h), 0);
    assert_int_equal(ql_sigv4_sha256_update(&h, "x", 1), 0);
    ql_sigv4_sha256_free(&h);
    ql_sigv4_sha256_free(&h);
}


static void
test_encode_segment(void **state)
{
    char  seg[32];

    (void) state;

    assert_int_equal(ql_sigv4_encode_segment("a:0", 3, NULL, 0), 5);
    assert_int_equal(ql_sigv4_encode_segment("a:0", 3, seg, sizeof(seg)),
                     5);
    assert_string_equal(seg, "a%3A0");

    assert_int_equal(ql_sigv4_encode_segment("aZ09-._~", 8, seg,
                                             sizeof(seg)), 8);
    assert_string_equal(seg, "aZ09-._~");

    assert_int_equal(ql_sigv4_encode_segment("/ %+?\xe9", 6, seg,
                                             sizeof(seg)), 18);
    assert_string_equal(seg, "%2F%20%25%2B%3F%E9");

    assert_int_equal(ql_sigv4_encode_segment("", 0, seg, 1), 0);
    assert_string_equal(seg, "");

    /* room for the NUL too */
    assert_int_equal(ql_sigv4_encode_segment("a:0", 3, seg, 5), -1);
    assert_string_equal(seg, "");
    assert_int_equal(ql_sigv4_encode_segment("a:0", 3, seg, 6), 5);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_aws_suite),
        cmocka_unit_test(test_iam_example),
        cmocka_unit_test(test_bedrock),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_key_cache),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_amz_date),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_encode_segment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
