#!/usr/bin/env python3
"""Self-test of the mock's SigV4 verifier (sigv4.py), standard library only:

    python3 t/mock/test_sigv4.py        # exit 0 when all pass

1. AWS's published test suite (aws-sig-v4-test-suite, as botocore carries
   it in tests/unit/auth/aws4_testsuite, and the signed-body and session
   token cases of awslabs/aws-c-auth tests/aws-signing-test-suite/v4;
   Apache-2.0): each vector's canonical request, and its Authorization
   verified, then refused once tampered with.  The suite's *-unnormalized
   cases are S3's rule (dot segments kept), which Bedrock does not use:
   the C tests run them, not these.
2. What the verifier must refuse: unknown key, other scope, skewed clock,
   unsigned host, a body that is not x-amz-content-sha256's, ...
3. The gateway's C signer (build/tools/sigv4_sign, `make tools`; skipped
   when it is not built): Bedrock requests and a few hundred random ones
   signed in C, their canonical requests compared and their signatures
   verified here.
"""

import datetime
import hashlib
import os
import random
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import sigv4  # noqa: E402

TOOL = os.path.join(HERE, "..", "..", "build", "tools", "sigv4_sign")

# the STS session token of AWS's post-sts-* vectors
STS_TOKEN = ("AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTw"
             "dQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi"
             "/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V"
             "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPk"
             "UL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabI"
             "Qwj2ICCR/oLxBA==")

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
UTC = datetime.timezone.utc
T0 = datetime.datetime(2015, 8, 30, 12, 36, tzinfo=UTC)
AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/"
        "service/aws4_request, SignedHeaders=%s, Signature=%s")

# name, method, path, query, headers ("Name:value\n", a folded line kept),
# body, session token, canonical request, signed headers, signature
VECTORS = [
    ("get-header-key-duplicate",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1:value2\n"
      "My-Header1:value2\n"
      "My-Header1:value1\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value2,value2,value1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;x-amz-date",
     "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    ("get-header-value-multiline",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1:value1\n"
      "  value2\n"
      "     value3\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1 value2 value3\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;x-amz-date",
     "cfd34249e4b1c8d6b91ef74165d41a32e5fab3306300901bb65a51a73575eefd"),
    ("get-header-value-order",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1:value4\n"
      "My-Header1:value1\n"
      "My-Header1:value3\n"
      "My-Header1:value2\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value4,value1,value3,value2\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;x-amz-date",
     "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    ("get-header-value-trim",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1: value1\n"
      "My-Header2: \"a   b   c\"\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1\n"
      "my-header2:\"a b c\"\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;my-header2;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;my-header2;x-amz-date",
     "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    ("get-unreserved",
     "GET",
     ("/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
      "xyz"),
     "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvw"
      "xyz\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("get-utf8",
     "GET", "/\xe1\x88\xb4", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/%E1%88%B4\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-vanilla",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-empty-query-key",
     "GET", "/", "Param1=value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"),
    ("get-vanilla-query",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-vanilla-query-order-encoded",
     "GET", "/", "Param-3=Value3&Param=Value2&%E1%88%B4=Value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "%E1%88%B4=Value1&Param=Value2&Param-3=Value3\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "371d3713e185cc334048618a97f809c9ffe339c62934c032af5a0e595648fcac"),
    ("get-vanilla-query-order-key",
     "GET", "/", "Param1=value2&Param1=Value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "Param1=Value1&Param1=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    ("get-vanilla-query-order-key-case",
     "GET", "/", "Param2=value2&Param1=value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "Param1=value1&Param2=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("get-vanilla-query-order-value",
     "GET", "/", "Param1=value2&Param1=value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "Param1=value1&Param1=value2\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"),
    ("get-vanilla-query-unreserved",
     "GET",
     "/",
     ("-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
      "yz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
      "vwxyz"),
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwx"
      "yz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
      "vwxyz\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    ("get-vanilla-utf8-query",
     "GET", "/", "\xe1\x88\xb4=bar",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "%E1%88%B4=bar\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    ("get-relative",
     "GET", "/example/..", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-relative-relative",
     "GET", "/example1/example2/../..", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash",
     "GET", "//", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash-dot-slash",
     "GET", "/./", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("get-slash-pointless-dot",
     "GET", "/./example", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/example\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
    ("get-slashes",
     "GET", "//example//", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/example/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    ("get-space",
     "GET", "/example space/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/example%20space/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    ("get-special-character",
     "GET", "/example/$delete", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("GET\n"
      "/example/%24delete\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "a853c9b21b528b19643d00910d35b83a10c366a10833ceefb45edd6c80e40f27"),
    ("post-header-key-case",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-header-key-sort",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1:value1\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:value1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;x-amz-date",
     "c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c"),
    ("post-header-value-case",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "My-Header1:VALUE1\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "my-header1:VALUE1\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;my-header1;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;my-header1;x-amz-date",
     "cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    ("post-sts-header-after",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-sts-header-before",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Security-Token:" + STS_TOKEN + "\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:" + STS_TOKEN + "\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date;x-amz-security-token",
     "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    ("post-vanilla",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("post-vanilla-empty-query-value",
     "POST", "/", "Param1=value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("post-vanilla-query",
     "POST", "/", "Param1=value1",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", None,
     ("POST\n"
      "/\n"
      "Param1=value1\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "host;x-amz-date\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("post-x-www-form-urlencoded",
     "POST", "/", "",
     ("Content-Type:application/x-www-form-urlencoded\n"
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "Param1=value1", None,
     ("POST\n"
      "/\n"
      "\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    ("post-x-www-form-urlencoded-parameters",
     "POST", "/", "",
     ("Content-Type:application/x-www-form-urlencoded; charset=utf8\n"
      "Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "Param1=value1", None,
     ("POST\n"
      "/\n"
      "\n"
      "content-type:application/x-www-form-urlencoded; charset=utf8\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-type;host;x-amz-date\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
     "content-type;host;x-amz-date",
     "1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    ("c-auth/post-x-www-form-urlencoded",
     "POST", "/", "",
     ("Content-Type:application/x-www-form-urlencoded\n"
      "Host:example.amazonaws.com\n"
      "Content-Length:13\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
      "329106275f4c7b24d0b6e\n"),
     "Param1=value1", None,
     ("POST\n"
      "/\n"
      "\n"
      "content-length:13\n"
      "content-type:application/x-www-form-urlencoded\n"
      "host:example.amazonaws.com\n"
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
      "329106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date"
      "\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
     "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
     "d3875051da38690788ef43de4db0d8f280229d82040bfac253562e56c3f20e0b"),
    ("c-auth/post-x-www-form-urlencoded-parameters",
     "POST", "/", "",
     ("Content-Type:application/x-www-form-urlencoded; charset=utf-8\n"
      "Host:example.amazonaws.com\n"
      "Content-Length:13\n"
      "X-Amz-Date:20150830T123600Z\n"
      "X-Amz-Content-Sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
      "329106275f4c7b24d0b6e\n"),
     "Param1=value1", None,
     ("POST\n"
      "/\n"
      "\n"
      "content-length:13\n"
      "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
      "host:example.amazonaws.com\n"
      "x-amz-content-sha256:9095672bbd1f56dfc5b65f3e153adc8731a4a654192"
      "329106275f4c7b24d0b6e\n"
      "x-amz-date:20150830T123600Z\n"
      "\n"
      "content-length;content-type;host;x-amz-content-sha256;x-amz-date"
      "\n"
      "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e"),
     "content-length;content-type;host;x-amz-content-sha256;x-amz-date",
     "328d1b9eaadca9f5818ef05e8392801e091653bafec24fcab71e7344e7f51422"),
    ("c-auth/get-vanilla-with-session-token",
     "GET", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "", "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
     ("GET\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:6e86291e8372ff2a2260956d9b8aae1d763fbf315fa"
      "00fa31553b73ebf194267\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date;x-amz-security-token",
     "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8"),
    ("c-auth/post-sts-header-before",
     "POST", "/", "",
     ("Host:example.amazonaws.com\n"
      "X-Amz-Date:20150830T123600Z\n"),
     "",
     (STS_TOKEN),
     ("POST\n"
      "/\n"
      "\n"
      "host:example.amazonaws.com\n"
      "x-amz-date:20150830T123600Z\n"
      "x-amz-security-token:" + STS_TOKEN + "\n"
      "\n"
      "host;x-amz-date;x-amz-security-token\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
     "host;x-amz-date;x-amz-security-token",
     "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
]


def parse_headers(text):
    """lowercase name -> value, or a list of values for a repeated name"""
    h, last = {}, None
    for line in text.split("\n")[:-1]:
        if line[:1] in (" ", "\t"):
            v = h[last]
            if isinstance(v, list):
                v[-1] += "\n" + line
            else:
                h[last] = v + "\n" + line
            continue
        name, _, value = line.partition(":")
        last = name.lower()
        if last in h:
            v = h[last]
            h[last] = (v if isinstance(v, list) else [v]) + [value]
        else:
            h[last] = value
    return h


def vector_request(v):
    """(method, path, query, headers, body) of a vector, signed"""
    name, method, path, query, text, body, token, _, names, sig = v
    h = parse_headers(text)
    if token is not None:
        h["x-amz-security-token"] = token
    h["authorization"] = AUTH % (names, sig)
    return method, path, query, h, body.encode("latin-1")


def check(method, path, query, h, body, now=T0, **kw):
    kw.setdefault("service", "service")
    return sigv4.verify(method, path, query, h, body, {AKID: SECRET},
                        now=now, **kw)


class AwsSuite(unittest.TestCase):

    def test_canonical_requests(self):
        for v in VECTORS:
            with self.subTest(v[0]):
                method, path, query, h, body = vector_request(v)
                creq = sigv4.canonical_request(
                    method, path, query, h, v[8].split(";"),
                    hashlib.sha256(body).hexdigest())
                self.assertEqual(creq, v[7])

    def test_signatures(self):
        for v in VECTORS:
            with self.subTest(v[0]):
                self.assertEqual(check(*vector_request(v)), (True, ""))

    def test_tampered(self):
        for v in VECTORS:
            with self.subTest(v[0]):
                method, path, query, h, body = vector_request(v)
                bad = dict(h, authorization=h["authorization"][:-1]
                           + ("0" if h["authorization"][-1] != "0" else "1"))
                self.assertEqual(check(method, path, query, bad, body),
                                 (False, "signature does not match"))
                self.assertFalse(check(method, path, query, h,
                                       body + b"x")[0])
                self.assertFalse(check(method, path + "x", query, h,
                                       body)[0])
                self.assertFalse(check("PUT", path, query, h, body)[0])


class Refusals(unittest.TestCase):

    def setUp(self):
        v = [x for x in VECTORS if x[0] == "post-x-www-form-urlencoded"]
        self.req = list(vector_request(v[0]))

    def verify(self, now=T0, **kw):
        return check(*self.req, now=now, **kw)

    def header(self, name, value):
        self.req[3] = dict(self.req[3])
        if value is None:
            del self.req[3][name]
        else:
            self.req[3][name] = value

    def test_accepted(self):
        self.assertEqual(self.verify(), (True, ""))
        self.assertEqual(self.verify(region="us-east-1"), (True, ""))
        self.assertEqual(self.verify(now=T0.replace(tzinfo=None)),
                         (True, ""))

    def test_clock(self):
        for s in (-300, 300):
            self.assertTrue(self.verify(
                now=T0 + datetime.timedelta(seconds=s))[0])
        for s in (-301, 301, 86400):
            self.assertEqual(
                self.verify(now=T0 + datetime.timedelta(seconds=s)),
                (False, "request time too skewed"))
        self.assertEqual(self.verify(now=T0 + datetime.timedelta(
            seconds=30), max_skew_s=10), (False, "request time too skewed"))

    def test_scope(self):
        self.assertEqual(self.verify(service="bedrock"),
                         (False, "credential scope names service service"))
        self.assertEqual(self.verify(region="us-west-2"),
                         (False, "credential scope names region us-east-1"))
        ok, reason = sigv4.verify(*self.req, secrets={"AKIDOTHER": SECRET},
                                  now=T0, service="service")
        self.assertEqual((ok, reason), (False, "unknown access key " + AKID))

    def auth(self, old, new):
        self.header("authorization",
                    self.req[3]["authorization"].replace(old, new))

    def test_credential_date(self):
        self.auth("/20150830/", "/20150831/")
        self.assertEqual(self.verify(),
                         (False, "credential date 20150831 is not "
                                 "x-amz-date's"))

    def test_malformed(self):
        auth = self.req[3]["authorization"]
        for bad in ("", "AWS4-HMAC-SHA1" + auth[16:],
                    auth.replace(", Signature=", ", Sig="),
                    auth + ", Signature=00",
                    auth.replace("/aws4_request", "/aws5_request"),
                    auth.replace("Credential=AKIDEXAMPLE/", "Credential=")):
            self.header("authorization", bad)
            self.assertFalse(self.verify()[0], bad)
        self.header("authorization", None)
        self.assertEqual(self.verify(), (False, "malformed Authorization"))
        self.header("authorization", auth[:-1] + "g")
        self.assertEqual(self.verify(), (False, "malformed Signature"))

    def test_signed_headers(self):
        names = "content-type;host;x-amz-date"
        self.auth(names, "host;content-type;x-amz-date")
        self.assertFalse(self.verify()[0])
        self.setUp()
        self.auth(names, "content-type;x-amz-date")
        self.assertEqual(self.verify(), (False, "host is not signed"))
        self.setUp()
        self.auth(names, "content-type;host")
        self.assertEqual(self.verify(), (False, "x-amz-date is not signed"))
        self.setUp()
        self.auth(names, "content-type;host;x-amz-date;x-other")
        self.assertEqual(self.verify(),
                         (False, "signed header x-other is not in the "
                                 "request"))

    def test_date_header(self):
        self.header("x-amz-date", None)
        self.assertFalse(self.verify()[0])
        self.header("x-amz-date", "2015-08-30T12:36:00Z")
        self.assertFalse(self.verify()[0])
        self.header("x-amz-date", "20150830T123600Z ")
        self.assertFalse(self.verify()[0])

    def test_content_sha256(self):
        h = hashlib.sha256(self.req[4]).hexdigest()
        self.header("x-amz-content-sha256", h)
        self.assertEqual(self.verify(), (True, ""))
        self.header("x-amz-content-sha256", hashlib.sha256(b"").hexdigest())
        self.assertEqual(self.verify(),
                         (False, "x-amz-content-sha256 is not the body's"))

    def test_unsigned_headers_ignored(self):
        self.header("x-amz-security-token", "added after signing")
        self.header("user-agent", "anything")
        self.assertEqual(self.verify(), (True, ""))

    def test_not_bytes(self):
        self.req[1] = "/\u1234"
        self.assertEqual(self.verify(),
                         (False, "request holds characters that are not "
                                 "bytes"))


def amz(t):
    return t.strftime(sigv4.AMZ_FORMAT)


@unittest.skipUnless(os.access(TOOL, os.X_OK),
                     "build/tools/sigv4_sign not built (make tools)")
class CSigner(unittest.TestCase):
    """The gateway's signer, through build/tools/sigv4_sign."""

    def run_tool(self, method, path, query, region, service, t, headers,
                 body, secret=SECRET, token=None, akid=AKID, mode=None):
        env = dict(os.environ, QL_SIGV4_SECRET=secret)
        env.pop("QL_SIGV4_TOKEN", None)
        if token is not None:
            env["QL_SIGV4_TOKEN"] = token
        args = [TOOL] + (["-" + mode] if mode else []) + ["--",
            method, path, query, region, service, akid,
            str(int(t.timestamp()))] + headers
        args = [a if isinstance(a, bytes) else a.encode("latin-1")
                for a in args]
        p = subprocess.run(args, input=body, stdout=subprocess.PIPE,
                           env=env, check=False)
        return p.returncode, p.stdout.decode("latin-1")[:-1]

    def sign(self, *args, **kw):
        rc, out = self.run_tool(*args, **kw)
        self.assertEqual(rc, 0)
        return out

    def test_aws_vectors(self):
        for v in VECTORS:
            name, method, path, query, text, body, token, creq, names, \
                sig = v
            headers = []
            for line in text.split("\n")[:-1]:
                if line[:1] == " ":
                    headers[-1] += "\n" + line
                else:
                    headers.append(line)
            with self.subTest(name):
                body = body.encode("latin-1")
                args = (method, path, query, "us-east-1", "service", T0,
                        headers, body)
                self.assertEqual(self.sign(*args, token=token, mode="c"),
                                 creq)
                self.assertEqual(self.sign(*args, token=token),
                                 AUTH % (names, sig))

    def bedrock(self, model, stream, body, token=None, extra=(),
                region="us-west-2"):
        now = datetime.datetime.now(UTC)
        seg = "".join(c if c.isalnum() or c in "-._~" else "%%%02X" % ord(c)
                      for c in model)
        path = "/model/%s/%s" % (seg, "invoke-with-response-stream"
                                 if stream else "invoke")
        host = "bedrock-runtime.%s.amazonaws.com" % region
        headers = ["host:" + host, "content-type:application/json"]
        headers += list(extra)
        auth = self.sign("POST", path, "", region, "bedrock", now, headers,
                         body, token=token)
        h = {"host": host, "content-type": "application/json",
             "x-amz-date": amz(now), "authorization": auth}
        for x in extra:
            name, _, value = x.partition(":")
            h[name.lower()] = value
        if token is not None:
            h["x-amz-security-token"] = token
        return path, h

    def test_bedrock(self):
        body = b'{"anthropic_version":"bedrock-2023-05-31","max_tokens":8}'
        for model, stream, token in (
                ("us.anthropic.claude-sonnet-4-20250514-v1:0", True, None),
                ("anthropic.claude-3-haiku-20240307-v1:0", False, "TOKEN/+="),
                ("arn:aws:bedrock:us-west-2:123456789012:"
                 "application-inference-profile/abc", False, None)):
            with self.subTest(model):
                path, h = self.bedrock(model, stream, body, token=token)
                self.assertIn("%3A", path)
                self.assertIn("%253A", sigv4.canonical_uri(path))
                ok = sigv4.verify("POST", path, "", h, body, {AKID: SECRET},
                                  region="us-west-2")
                self.assertEqual(ok, (True, ""))
                self.assertFalse(sigv4.verify("POST", path, "", h,
                                              body + b" ", {AKID: SECRET})[0])
                if token is not None:
                    h["x-amz-security-token"] = "OTHER"
                    self.assertFalse(sigv4.verify("POST", path, "", h, body,
                                                  {AKID: SECRET})[0])

    def test_single_encoding_refused(self):
        """Signed S3's way (%3A encoded once), a Bedrock path fails."""
        now = datetime.datetime.now(UTC)
        path = "/model/a%3A0/invoke"
        h = {"host": "h", "x-amz-date": amz(now)}
        args = ("POST", path, "", "us-west-2", "bedrock", now, ["host:h"],
                b"{}")
        h["authorization"] = self.sign(*args, mode="3")
        self.assertEqual(sigv4.verify("POST", path, "", h, b"{}",
                                      {AKID: SECRET}),
                         (False, "signature does not match"))
        h["authorization"] = self.sign(*args)
        self.assertEqual(sigv4.verify("POST", path, "", h, b"{}",
                                      {AKID: SECRET}), (True, ""))

    def test_refused(self):
        rc, _ = self.run_tool("GET", "no-slash", "", "us-east-1", "service",
                              T0, ["host:h"], b"")
        self.assertEqual(rc, 1)
        rc, _ = self.run_tool("GET", "/", "", "us-east-1", "service", T0,
                              ["x-amz-date:20150830T123601Z", "host:h"],
                              b"")
        self.assertEqual(rc, 1)

    def test_random_requests(self):
        rnd = random.Random(17)
        pieces = ["a", "Z", "0", "-", ".", "_", "~", ":", "%3A", "%3a", "%",
                  "%zz", "%2F", " ", "+", "@", "!", "$", "'", "(", ",", ";",
                  "=", "\xe9", "\xc3\xa9", "*"]
        segs = ["", ".", ".."]
        names = ["X-Custom", "x-custom", "Content-Type", "x-amz-meta-a",
                 "X-Amz-Content-Sha256", "x-y"]
        blanks = ["", " ", "  ", "\t", " \t "]

        def word(n):
            return "".join(rnd.choice(pieces) for _ in range(n))

        for i in range(300):
            path = "/" + "/".join(rnd.choice(segs) if rnd.random() < 0.2
                                  else word(rnd.randint(1, 6))
                                  for _ in range(rnd.randint(0, 5)))
            query = "&".join(
                word(rnd.randint(0, 3))
                + (("=" + word(rnd.randint(0, 4))) if rnd.random() < 0.8
                   else "")
                for _ in range(rnd.randint(0, 4)))
            body = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 64)))
            t = T0 + datetime.timedelta(seconds=rnd.randint(0, 10 ** 9))
            headers = ["Host:example.amazonaws.com"]
            h = {"host": "example.amazonaws.com", "x-amz-date": amz(t)}
            for _ in range(rnd.randint(0, 6)):
                name = rnd.choice(names)
                if name.lower() == "x-amz-content-sha256":
                    if name.lower() in h:
                        continue
                    value = hashlib.sha256(body).hexdigest()
                else:
                    value = (rnd.choice(blanks) + word(rnd.randint(0, 3))
                             + rnd.choice(blanks) + word(rnd.randint(0, 3))
                             + rnd.choice(blanks))
                headers.append(name + ":" + value)
                ln = name.lower()
                if ln in h:
                    h[ln] = (h[ln] if isinstance(h[ln], list)
                             else [h[ln]]) + [value]
                else:
                    h[ln] = value
            # the environment carries text: an ASCII token
            token = "".join(rnd.choice("AZaz09/+=") for _ in range(16)) \
                if rnd.random() < 0.2 else None
            if token is not None:
                h["x-amz-security-token"] = token
            method = rnd.choice(["GET", "POST", "PUT", "DELETE"])
            args = (method, path, query, "eu-central-1", "bedrock", t,
                    headers, body)
            with self.subTest(i=i, path=path, query=query):
                creq = self.sign(*args, token=token, mode="c")
                signed = creq.split("\n")[-2].split(";")
                self.assertEqual(sigv4.canonical_request(
                    method, path, query, h, signed,
                    hashlib.sha256(body).hexdigest()), creq)
                h["authorization"] = self.sign(*args, token=token)
                self.assertEqual(sigv4.verify(method, path, query, h, body,
                                              {AKID: SECRET}, now=t),
                                 (True, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)
