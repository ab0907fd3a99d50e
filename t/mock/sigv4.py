"""AWS SigV4 verification for the mock Bedrock (mock_bedrock.py).

Written apart from the gateway's C signer (ql/ql_sigv4.c), from AWS's
description, so that the two check each other; t/112-bedrock.t also has
AWS's own SDK sign requests this verifies.

    verify(method, raw_path, query, headers, body, secrets)
        -> (True, "") or (False, reason)

headers: lowercase names -> values (the request's, as received).
"""

import datetime
import hashlib
import hmac
import re

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/"
    r"aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$")

UNRESERVED = set(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                 b"0123456789-._~")


def _encode(s, keep=b""):
    out = []
    for c in s.encode("utf-8") if isinstance(s, str) else s:
        if c in UNRESERVED or c in keep:
            out.append(chr(c))
        else:
            out.append("%%%02X" % c)
    return "".join(out)


def _hmac(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def canonical_request(method, raw_path, query, headers, signed, body_hash):
    # every service but S3 signs the path as received, encoded once more
    path = _encode(raw_path or "/", b"/")
    pairs = []
    for part in query.split("&") if query else []:
        if part:
            name, _, value = part.partition("=")
            pairs.append((name, value))
    q = "&".join("%s=%s" % p for p in sorted(pairs))
    canon = "".join("%s:%s\n" % (n, " ".join(headers.get(n, "").split()))
                    for n in signed)
    return "\n".join([method, path, q, canon, ";".join(signed), body_hash])


def verify(method, raw_path, query, headers, body, secrets, now=None,
           max_skew_s=300):
    m = AUTH_RE.match(headers.get("authorization", ""))
    if m is None:
        return False, "malformed Authorization"
    akid, date, region, service, signed_s, sig = m.groups()
    secret = secrets.get(akid)
    if secret is None:
        return False, "unknown access key %s" % akid
    signed = signed_s.split(";")
    if signed != sorted(signed) or "host" not in signed \
            or "x-amz-date" not in signed:
        return False, "SignedHeaders must be sorted and name host and " \
                      "x-amz-date"
    amz = headers.get("x-amz-date", "")
    try:
        t = datetime.datetime.strptime(amz, "%Y%m%dT%H%M%SZ").replace(
            tzinfo=datetime.timezone.utc)
    except ValueError:
        return False, "bad x-amz-date %r" % amz
    if amz[:8] != date:
        return False, "credential date %s is not x-amz-date's" % date
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if abs((now - t).total_seconds()) > max_skew_s:
        return False, "request time too skewed"
    if service != "bedrock":
        return False, "credential scope names service %s" % service
    body_hash = hashlib.sha256(body).hexdigest()
    if headers.get("x-amz-content-sha256", body_hash) != body_hash:
        return False, "x-amz-content-sha256 is not the body's"
    creq = canonical_request(method, raw_path, query, headers, signed,
                             body_hash)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz,
                     "%s/%s/%s/aws4_request" % (date, region, service),
                     hashlib.sha256(creq.encode("utf-8")).hexdigest()])
    k = _hmac(("AWS4" + secret).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        k = _hmac(k, part)
    want = hmac.new(k, sts.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, sig):
        return False, "signature does not match"
    return True, ""
