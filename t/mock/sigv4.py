"""AWS SigV4 verification for the mock Bedrock (mock_bedrock.py).

Written apart from the gateway's C signer (ql/ql_sigv4.c), from AWS's
description of Signature Version 4, so that the two check each other
(t/mock/test_sigv4.py); t/112-bedrock.t also has AWS's own SDK sign
requests this verifies.  Standard library only.

    verify(method, raw_path, query, headers, body, secrets, now=None,
           max_skew_s=300, region=None, service="bedrock")
        -> (True, "") or (False, reason)

raw_path and query: the request target as received, split at "?" (str
with one character per byte, as mock_upstream.py parses the head in
latin-1, or bytes).  headers: lowercase names -> values as received; a
list of values for a name sent more than once.  body: bytes.  secrets:
access key id -> secret.  now: an aware datetime (a naive one is taken as
UTC), the clock by default.  region: None accepts any.

The server side of SigV4 as AWS runs it for every service but S3: the
path's empty and dot segments removed, then URI-encoded again (a wire
%3A signs as %253A); the query's names and values decoded and encoded
once; only the signed headers, values trimmed with blank runs made one
space, repeated ones joined with ","; the payload hash of the body as
received.
"""

import datetime
import hashlib
import hmac
import re
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
AMZ_FORMAT = "%Y%m%dT%H%M%SZ"
AMZ_RE = re.compile(r"\d{8}T\d{6}Z")
NAME_RE = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
HEX64_RE = re.compile(r"[0-9a-f]{64}")
BLANKS_RE = re.compile(r"[ \t\r\n]+")


def _bytes(s):
    return s.encode("latin-1") if isinstance(s, str) else bytes(s)


def _remove_dot_segments(path):
    kept = []
    for seg in path.split(b"/"):
        if seg == b"..":
            if kept:
                kept.pop()
        elif seg not in (b"", b"."):
            kept.append(seg)
    out = b"/" + b"/".join(kept)
    return out + b"/" if kept and path.endswith(b"/") else out


def canonical_uri(raw_path):
    """The path as received, normalized, then encoded again."""
    return quote(_remove_dot_segments(_bytes(raw_path)), safe="/")


def canonical_query(query):
    pairs = []
    for part in _bytes(query).split(b"&"):
        if part:
            name, _, value = part.partition(b"=")
            pairs.append((quote(unquote_to_bytes(name), safe=""),
                          quote(unquote_to_bytes(value), safe="")))
    return "&".join("%s=%s" % p for p in sorted(pairs))


def _canonical_value(v):
    values = v if isinstance(v, (list, tuple)) else [v]
    return ",".join(BLANKS_RE.sub(" ", x).strip(" ") for x in values)


def canonical_request(method, raw_path, query, headers, signed, body_hash):
    """The canonical request (str, one character per byte) of a request
    as received; signed: the lowercase names, sorted."""
    canon = "".join("%s:%s\n" % (n, _canonical_value(headers[n]))
                    for n in signed)
    return "\n".join([method, canonical_uri(raw_path),
                      canonical_query(query), canon, ";".join(signed),
                      body_hash])


def _parse_authorization(value):
    """{"Credential", "SignedHeaders", "Signature"} or None."""
    if not value.startswith(ALGORITHM + " "):
        return None
    params = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        name, eq, v = part.strip().partition("=")
        if not eq or name in params:
            return None
        params[name] = v
    if sorted(params) != ["Credential", "Signature", "SignedHeaders"]:
        return None
    return params


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret, date, region, service):
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    return k


def verify(method, raw_path, query, headers, body, secrets, now=None,
           max_skew_s=300, region=None, service="bedrock"):
    auth = headers.get("authorization")
    params = _parse_authorization(auth) if isinstance(auth, str) else None
    if params is None:
        return False, "malformed Authorization"

    scope = params["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return False, "malformed credential scope"
    akid, date, c_region, c_service, _ = scope
    secret = secrets.get(akid)
    if secret is None:
        return False, "unknown access key %s" % akid
    if region is not None and c_region != region:
        return False, "credential scope names region %s" % c_region
    if c_service != service:
        return False, "credential scope names service %s" % c_service

    signed = params["SignedHeaders"].split(";")
    if signed != sorted(set(signed)) \
            or not all(NAME_RE.fullmatch(n) for n in signed):
        return False, "SignedHeaders must be lowercase names, sorted, once"
    if "host" not in signed:
        return False, "host is not signed"
    for n in signed:
        if n not in headers:
            return False, "signed header %s is not in the request" % n

    amz = headers.get("x-amz-date")
    if not isinstance(amz, str) or not AMZ_RE.fullmatch(amz):
        return False, "bad or missing x-amz-date %r" % (amz,)
    if "x-amz-date" not in signed:
        return False, "x-amz-date is not signed"
    try:
        t = datetime.datetime.strptime(amz, AMZ_FORMAT).replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return False, "bad x-amz-date %r" % amz
    if date != amz[:8]:
        return False, "credential date %s is not x-amz-date's" % date

    now = now or datetime.datetime.now(datetime.timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=datetime.timezone.utc)
    if abs((now - t).total_seconds()) > max_skew_s:
        return False, "request time too skewed"

    body_hash = hashlib.sha256(body).hexdigest()
    content_hash = headers.get("x-amz-content-sha256")
    if content_hash is not None and content_hash != body_hash:
        return False, "x-amz-content-sha256 is not the body's"

    if not HEX64_RE.fullmatch(params["Signature"]):
        return False, "malformed Signature"

    try:
        creq = canonical_request(method, raw_path, query, headers, signed,
                                 body_hash).encode("latin-1")
    except UnicodeEncodeError:
        return False, "request holds characters that are not bytes"
    sts = "\n".join([ALGORITHM, amz,
                     "/".join([date, c_region, c_service, "aws4_request"]),
                     hashlib.sha256(creq).hexdigest()])
    want = hmac.new(signing_key(secret, date, c_region, c_service),
                    sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, params["Signature"]):
        return False, "signature does not match"
    return True, ""
