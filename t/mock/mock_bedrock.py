"""AWS Bedrock runtime for the mock upstream (mock_upstream.py).

Claude on Bedrock: POST /model/{modelId}/invoke answers the Anthropic
Messages JSON; /invoke-with-response-stream answers the same stream in
AWS's binary event-stream framing, one `chunk` event per Anthropic event
(its JSON base64-encoded in {"bytes": ...}), the last one carrying
amazon-bedrock-invocationMetrics.  Requests are checked as Bedrock checks
them: a SigV4 signature recomputed with the known secrets (sigv4.py) or a
bearer API key, and a body with anthropic_version "bedrock-2023-05-31" and
neither "model" nor "stream".  Errors are Bedrock's: {"message": ...} with
x-amzn-ErrorType, and exception events inside a stream.
"""

import json
import re
import uuid
from urllib.parse import unquote

import bedrock_eventstream as es
import sigv4

PATH_RE = re.compile(r"/model/([^/]+)/(invoke|invoke-with-response-stream)$")

VERSION = "bedrock-2023-05-31"

# access key id -> secret; /__mock/aws adds more
SECRETS = {"AKIDMOCKBEDROCK0001": "mock/Bedrock+Secret0001EXAMPLEKEY"}

# HTTP status -> the exception Bedrock names in x-amzn-ErrorType
ERRORS = {400: "ValidationException", 403: "AccessDeniedException",
          404: "ResourceNotFoundException", 408: "ModelTimeoutException",
          424: "ModelErrorException", 429: "ThrottlingException",
          500: "InternalServerException",
          503: "ServiceUnavailableException"}


MODEL_RE = re.compile(r"^(?:[a-z-]+\.)?anthropic\.(claude-[a-z0-9-]+?)"
                      r"-v\d+(?::\d+)?$")


def route(path):
    """("invoke" | "invoke-with-response-stream", model id) or None; the
    id is one path segment, percent-decoded."""
    m = PATH_RE.search(path)
    if m is None:
        return None
    return m.group(2), unquote(m.group(1))


def anthropic_model(model_id):
    """The model name Bedrock's answers carry: Anthropic's, for its ids
    (us.anthropic.claude-sonnet-4-5-20250929-v1:0 ran
    claude-sonnet-4-5-20250929); else the id as given."""
    m = MODEL_RE.match(model_id)
    return m.group(1) if m else model_id


def credential(h):
    """The access key id of a signed request, for the mock's records."""
    v = h.get("authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/,\s]+)/", v)
    return m.group(1) if m else None


def error(status, message, name=None):
    """(extra headers, body) of a Bedrock error answer."""
    name = name or ERRORS.get(status) or (
        "InternalServerException" if status >= 500 else "ValidationException")
    extra = ("x-amzn-ErrorType: %s:http://internal.amazon.com/coral/"
             "com.amazon.bedrock/\r\nx-amzn-RequestId: %s\r\n"
             % (name, uuid.uuid4()))
    return extra, json.dumps({"message": message}).encode()


def check(req, body):
    """None, or (status, extra headers, body) refusing the request."""
    h = req.h
    auth = h.get("authorization", "")
    if auth.startswith("AWS4-HMAC-SHA256"):
        ok, reason = sigv4.verify(req.method, req.path, req.query,
                                  h, req.body, SECRETS)
        if not ok:
            name = ("UnrecognizedClientException"
                    if "unknown access key" in reason
                    else "InvalidSignatureException")
            return (403,) + error(403, "mock sigv4: " + reason, name)
    elif not auth.lower().startswith("bearer ") or len(auth) < 8:
        return (403,) + error(403, "Authorization header requires "
                              "'Credential' parameter.",
                              "UnrecognizedClientException")
    if not isinstance(body, dict):
        return (400,) + error(400, "Malformed input request, please "
                              "reformat your input and try again.")
    for k in ("model", "stream"):
        if k in body:
            return (400,) + error(400, "Malformed input request: "
                                  "#: extraneous key [%s] is not permitted, "
                                  "please reformat your input and try "
                                  "again." % k)
    if body.get("anthropic_version") != VERSION:
        return (400,) + error(400, "Malformed input request: "
                              "#/anthropic_version: expected %s" % VERSION)
    betas = body.get("anthropic_beta")
    if betas is not None and (not isinstance(betas, list) or any(
            not isinstance(b, str) or b.startswith(("oauth-", "claude-code-"))
            for b in betas)):
        return (400,) + error(400, "invalid beta flag")
    return None


def headers(p):
    """Bedrock's own headers on a success answer."""
    return ("x-amzn-RequestId: %s\r\nx-amzn-Bedrock-Input-Token-Count: %d\r\n"
            "x-amzn-Bedrock-Output-Token-Count: %d\r\n"
            "x-amzn-Bedrock-Invocation-Latency: 1\r\n"
            % (uuid.uuid4(), p.inp, p.out))


def stream(sse_events, p):
    """The Anthropic SSE events (bytes) as event-stream chunk frames."""
    for ev in sse_events:
        data = None
        for line in ev.split(b"\n"):
            if line.startswith(b"data: "):
                data = json.loads(line[6:])
        if data is None:
            continue
        if data.get("type") == "message_stop":
            data["amazon-bedrock-invocationMetrics"] = {
                "inputTokenCount": p.inp, "outputTokenCount": p.out,
                "invocationLatency": 1, "firstByteLatency": 1}
        yield es.chunk_event(data)


def stream_error(o):
    """An exception event, as Bedrock ends a stream that fails."""
    return es.exception_event(o.get("exception") or "modelStreamErrorException",
                              o.get("message") or "mock: stream failed")
