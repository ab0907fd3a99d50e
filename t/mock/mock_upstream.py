#!/usr/bin/env python3
"""QuotaLane mock AI upstream.

A fast, dependency-free (Python 3 standard library only) HTTP/1.1 server that
speaks the wire formats of the Anthropic Messages API, OpenAI chat completions,
OpenAI Responses and Gemini generateContent, with per-request fault injection
(`x-mock` request header or credential-keyed rules) and observation endpoints
under /__mock/.  See t/mock/README.md for the full reference.

    python3 t/mock/mock_upstream.py --listen 127.0.0.1:8090 [--listen ...] [--log FILE]
"""

import argparse
import asyncio
import base64
import collections
import email.utils
import hashlib
import json
import logging
import os
import re
import signal
import socket
import struct
import sys
import time
from urllib.parse import parse_qs, unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_bedrock  # noqa: E402  (AWS Bedrock runtime)

# --------------------------------------------------------------------------
# limits / defaults
# --------------------------------------------------------------------------

MAX_HEADER = 64 * 1024          # request line + headers
MAX_HEADERS = 256               # number of header fields
MAX_BODY = 32 * 1024 * 1024     # request body (Content-Length or chunked)
MAX_RECORDS = 10000             # request ring size
RECORD_BODY_MAX = 64 * 1024     # recorded body text is truncated to this
MAX_PENDING = 1024 * 1024       # buffered input while a request is in progress
MAX_EVENTS = 1000000            # cap for events=

DEFAULT_TEXT = "Hello from mock"
DEFAULT_EVENTS = 3
DEFAULT_INPUT_TOKENS = 12
DEFAULT_RETRY_AFTER = 30        # 429 only

_json_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_json_dec = json.JSONDecoder()


def jdump(obj):
    return _json_enc.encode(obj).encode("utf-8")


def jstr(s):
    return _json_enc.encode(s)


REASONS = {
    100: "Continue", 200: "OK", 201: "Created", 204: "No Content",
    400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 409: "Conflict", 411: "Length Required",
    413: "Payload Too Large", 422: "Unprocessable Entity",
    429: "Too Many Requests", 431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway",
    503: "Service Unavailable", 504: "Gateway Timeout",
    505: "HTTP Version Not Supported", 529: "Overloaded",
}

TOKEN_RE = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
CTL_RE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
GEMINI_RE = re.compile(r"/models/([^/:]+):([A-Za-z]+)$")
CODE_ASSIST_RE = re.compile(r"/v1internal:(generateContent|streamGenerateContent)$")
CODE_ASSIST = "@code-assist"

# --------------------------------------------------------------------------
# global state
# --------------------------------------------------------------------------


class State:
    def __init__(self):
        self.records = collections.deque(maxlen=MAX_RECORDS)
        self.rec_next = 0           # index of the next record
        self.rules = []
        self.rule_seq = 0
        self.inflight = {}
        self.max_inflight = {}
        self.total = {}
        self.requests = 0
        self.seq = 0                # id counter
        self.log = None
        self.conns = set()
        # OAuth token endpoint: live refresh tokens, what it answers
        self.oauth = {"refresh": set(), "expires_in": 3600, "calls": 0,
                      "issued": 0, "client_id": None, "codes": {},
                      "fail": 0, "fail_status": 503, "delay_ms": 0}
        # Code Assist's project lookup: the user's project (None: no tier
        # yet) and how many onboardUser polls answer "not done"
        self.code_assist = {"project": None, "tier": "standard-tier",
                            "pending": 1, "calls": [], "managed": 0}
        # webhook receiver: what it got, and failures still to answer
        self.hooks = collections.deque(maxlen=MAX_RECORDS)
        self.hook_fail = {}
        self.hook_delay = {}


S = State()

_date_cache = [0, "", ""]


def now_headers():
    """(Date header line bytes, anthropic rate-limit header block) cached per second."""
    t = int(time.time())
    if t != _date_cache[0]:
        _date_cache[0] = t
        _date_cache[1] = "date: %s\r\nserver: mock-upstream\r\n" % email.utils.formatdate(t, usegmt=True)
        rst = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t + 1))
        _date_cache[2] = (
            "anthropic-ratelimit-requests-limit: 4000\r\n"
            "anthropic-ratelimit-requests-remaining: 3999\r\n"
            "anthropic-ratelimit-requests-reset: %s\r\n"
            "anthropic-ratelimit-input-tokens-limit: 2000000\r\n"
            "anthropic-ratelimit-input-tokens-remaining: 2000000\r\n"
            "anthropic-ratelimit-input-tokens-reset: %s\r\n"
            "anthropic-ratelimit-output-tokens-limit: 400000\r\n"
            "anthropic-ratelimit-output-tokens-remaining: 400000\r\n"
            "anthropic-ratelimit-output-tokens-reset: %s\r\n"
            "anthropic-ratelimit-tokens-limit: 2400000\r\n"
            "anthropic-ratelimit-tokens-remaining: 2400000\r\n"
            "anthropic-ratelimit-tokens-reset: %s\r\n" % (rst, rst, rst, rst))
    return _date_cache


def log(msg):
    if S.log is not None:
        try:
            S.log.write("%.3f %s\n" % (time.time(), msg))
        except Exception:
            pass


def log_err(msg):
    try:
        sys.stderr.write("mock-upstream: %s\n" % msg)
        sys.stderr.flush()
    except Exception:
        pass
    log("ERROR " + msg)


# --------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------


class HttpError(Exception):
    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status
        self.msg = msg


class Request:
    __slots__ = ("method", "target", "path", "query", "version", "headers", "h",
                 "body", "keep_alive", "chunked", "need", "cbody", "head_only")


_TOK = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+"
FAST_HEAD_RE = re.compile(r"(%s) ([^\x00-\x20\x7f]+) (HTTP/1\.[01])((?:\r\n%s:[\t\x20-\x7e\x80-\xff]*)*)"
                          % (_TOK, _TOK))
HDR_RE = re.compile(r"\r\n(%s):[ \t]*([^\r\n]*?)[ \t]*(?=\r|\Z)" % _TOK)


def parse_head(head):
    """Parse request line + header block (bytes, without final CRLFCRLF)."""
    s = head.decode("latin-1")
    m = FAST_HEAD_RE.fullmatch(s)
    if m is None:
        return parse_head_slow(s)
    method, target, version, block = m.groups()
    headers = HDR_RE.findall(block)
    if len(headers) > MAX_HEADERS:
        raise HttpError(400, "too many header fields")
    h = {}
    for name, value in headers:
        ln = name.lower()
        if ln in h:
            h[ln] = h[ln] + ", " + value
        else:
            h[ln] = value
    return make_request(method, target, version, headers, h)


def parse_head_slow(s):
    """Full validation with precise error messages."""
    if CTL_RE.search(s.replace("\r\n", " ")):
        raise HttpError(400, "invalid characters in request head")
    lines = s.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise HttpError(400, "malformed request line")
    method, target, version = parts
    if not TOKEN_RE.fullmatch(method):
        raise HttpError(400, "malformed method")
    if version == "HTTP/1.1":
        ka = True
    elif version == "HTTP/1.0":
        ka = False
    elif version.startswith("HTTP/") and len(version) == 8 and version[5].isdigit():
        raise HttpError(505, "HTTP version not supported")
    else:
        raise HttpError(400, "malformed HTTP version")
    if not target:
        raise HttpError(400, "empty request target")
    if target[0] != "/":
        if target.startswith(("http://", "https://")):
            i = target.find("/", target.find("//") + 2)
            target = target[i:] if i >= 0 else "/"
        elif target != "*":
            raise HttpError(400, "malformed request target")
    if len(lines) - 1 > MAX_HEADERS:
        raise HttpError(400, "too many header fields")
    headers = []
    h = {}
    for line in lines[1:]:
        if not line or line[0] in " \t":
            raise HttpError(400, "obsolete line folding / empty header line")
        name, sep, value = line.partition(":")
        if not sep or not TOKEN_RE.fullmatch(name):
            raise HttpError(400, "malformed header field")
        value = value.strip(" \t")
        headers.append((name, value))
        ln = name.lower()
        if ln in h:
            h[ln] = h[ln] + ", " + value
        else:
            h[ln] = value
    return make_request(method, target, version, headers, h)


def make_request(method, target, version, headers, h):
    ka = version == "HTTP/1.1"
    if target[0] != "/":
        if target.startswith(("http://", "https://")):
            i = target.find("/", target.find("//") + 2)
            target = target[i:] if i >= 0 else "/"
        elif target != "*":
            raise HttpError(400, "malformed request target")
    req = Request()
    req.method = method
    req.target = target
    p, _, q = target.partition("?")
    req.path = p
    req.query = q
    req.version = version
    req.headers = headers
    req.h = h
    req.body = b""
    req.chunked = False
    req.need = 0
    req.cbody = None
    req.head_only = method == "HEAD"
    conn = h.get("connection")
    if conn:
        toks = [t.strip().lower() for t in conn.split(",")]
        if "close" in toks:
            ka = False
        elif "keep-alive" in toks:
            ka = True
    req.keep_alive = ka
    te = h.get("transfer-encoding")
    cl = h.get("content-length")
    if te is not None:
        if cl is not None:
            raise HttpError(400, "both Transfer-Encoding and Content-Length")
        codings = [t.strip().lower() for t in te.split(",")]
        if codings[-1] != "chunked":
            raise HttpError(400, "unsupported transfer-encoding")
        if len(codings) > 1:
            raise HttpError(501, "unsupported transfer-coding")
        if version == "HTTP/1.0":
            raise HttpError(400, "chunked body with HTTP/1.0")
        req.chunked = True
        req.cbody = bytearray()
    elif cl is not None:
        vals = {v.strip() for v in cl.split(",")}
        if len(vals) != 1:
            raise HttpError(400, "conflicting Content-Length")
        v = vals.pop()
        if not v.isdigit() or not v.isascii() or len(v) > 15:
            raise HttpError(400, "malformed Content-Length")
        n = int(v)
        if n > MAX_BODY:
            raise HttpError(413, "request body too large")
        req.need = n
    return req


def reason(status):
    r = REASONS.get(status)
    if r is None:
        r = "Error" if status >= 400 else "OK"
    return r


def build_head(status, ctype, length, keep_alive, extra=""):
    """length None -> chunked; length -1 -> no framing (HTTP/1.0 read-until-close)."""
    d = now_headers()
    parts = ["HTTP/1.1 %d %s\r\n%s" % (status, reason(status), d[1])]
    if ctype:
        parts.append("content-type: %s\r\n" % ctype)
    if length is None:
        parts.append("transfer-encoding: chunked\r\n")
    elif length >= 0:
        parts.append("content-length: %d\r\n" % length)
    parts.append(extra)
    parts.append("connection: keep-alive\r\n\r\n" if keep_alive else "connection: close\r\n\r\n")
    return "".join(parts).encode("latin-1", "replace")


# --------------------------------------------------------------------------
# connection protocol
# --------------------------------------------------------------------------


class Conn(asyncio.Protocol):
    __slots__ = ("t", "buf", "busy", "closed", "task", "wpaused", "wwaiter",
                 "rpaused", "pend", "eof")

    def connection_made(self, transport):
        self.t = transport
        self.buf = bytearray()
        self.busy = False
        self.closed = False
        self.task = None
        self.wpaused = False
        self.wwaiter = None
        self.rpaused = False
        self.pend = None
        self.eof = False
        sock = transport.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        S.conns.add(self)

    def connection_lost(self, exc):
        self.closed = True
        S.conns.discard(self)
        w = self.wwaiter
        if w is not None and not w.done():
            w.set_exception(ConnectionResetError("connection lost"))
        self.wwaiter = None
        if self.task is not None and not self.task.done():
            self.task.cancel()
        self.buf = bytearray()

    def pause_writing(self):
        self.wpaused = True

    def resume_writing(self):
        self.wpaused = False
        w = self.wwaiter
        if w is not None and not w.done():
            w.set_result(None)
        self.wwaiter = None

    async def drain(self):
        if self.closed:
            raise ConnectionResetError("connection lost")
        if self.wpaused:
            if self.wwaiter is None:
                self.wwaiter = asyncio.get_running_loop().create_future()
            await self.wwaiter

    def eof_received(self):
        self.eof = True
        if self.task is not None:
            # FIN while an answer is delayed / streaming / hanging: treat it as
            # the client going away (nginx never half-closes upstream sockets)
            return False
        if self.buf:
            self.process()        # answer what is complete, then close
            return self.task is None and not self.closed
        return False

    def data_received(self, data):
        if self.closed:
            return
        self.buf += data
        if self.busy:
            if len(self.buf) > MAX_PENDING and not self.rpaused:
                self.rpaused = True
                self.t.pause_reading()
            return
        self.process()

    def write(self, data):
        if self.closed or self.t.is_closing():
            self.closed = True
            return False
        self.t.write(data)
        return True

    def close(self):
        if not self.closed:
            self.closed = True
            self.t.close()

    def fail(self, status, msg):
        """Protocol-level error: answer (Anthropic error shape) and close."""
        if self.closed:
            return
        etype = "request_too_large" if status == 413 else (
            "api_error" if status >= 500 else "invalid_request_error")
        body = jdump({"type": "error", "error": {"type": etype, "message": msg}})
        self.write(build_head(status, "application/json", len(body), False) + body)
        self.close()

    def process(self):
        try:
            while not self.busy and not self.closed:
                req = self.parse()
                if req is None:
                    break
                self.dispatch(req)
            else:
                return
            if self.eof and not self.busy and not self.closed:
                self.close()
        except HttpError as e:
            self.fail(e.status, e.msg)
        except Exception as e:  # never crash on input
            log_err("internal error while parsing: %r" % (e,))
            self.fail(500, "mock internal error")

    def parse(self):
        buf = self.buf
        req = self.pend
        if req is None:
            while buf[:2] == b"\r\n":
                del buf[:2]
            i = buf.find(b"\r\n\r\n")
            if i < 0:
                if len(buf) > MAX_HEADER:
                    raise HttpError(400, "request header too large")
                return None
            if i > MAX_HEADER:
                raise HttpError(400, "request header too large")
            head = bytes(buf[:i])
            del buf[:i + 4]
            req = parse_head(head)
            if (req.need or req.chunked) and \
                    req.h.get("expect", "").lower() == "100-continue" and \
                    req.version == "HTTP/1.1":
                need_more = len(buf) < req.need if not req.chunked else not buf
                if need_more:
                    self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.pend = req
        if req.chunked:
            if not self.parse_chunks(req):
                return None
            req.body = bytes(req.cbody)
            req.cbody = None
        elif req.need:
            if len(buf) < req.need:
                return None
            req.body = bytes(buf[:req.need])
            del buf[:req.need]
        self.pend = None
        return req

    def parse_chunks(self, req):
        buf = self.buf
        out = req.cbody
        while True:
            if req.need > 0:                    # inside chunk data (+CRLF)
                if len(buf) < req.need + 2:
                    return False
                if buf[req.need:req.need + 2] != b"\r\n":
                    raise HttpError(400, "malformed chunk terminator")
                out += buf[:req.need]
                del buf[:req.need + 2]
                req.need = 0
                continue
            if req.need < 0:                    # trailer section
                if buf[:2] == b"\r\n":
                    del buf[:2]
                    req.need = 0
                    return True
                i = buf.find(b"\r\n\r\n")
                if i < 0:
                    if len(buf) > MAX_HEADER:
                        raise HttpError(400, "chunk trailer too large")
                    return False
                del buf[:i + 4]
                req.need = 0
                return True
            i = buf.find(b"\r\n")
            if i < 0:
                if len(buf) > 4096:
                    raise HttpError(400, "malformed chunk size line")
                return False
            line = bytes(buf[:i]).split(b";", 1)[0].strip(b" \t")
            if not line or len(line) > 15 or line.strip(b"0123456789abcdefABCDEF"):
                raise HttpError(400, "malformed chunk size")
            size = int(line, 16)
            del buf[:i + 2]
            if size == 0:
                req.need = -1
                continue
            if len(out) + size > MAX_BODY:
                raise HttpError(413, "request body too large")
            req.need = size

    def dispatch(self, req):
        self.busy = True
        try:
            coro = handle(self, req)
        except Exception as e:
            log_err("handler error: %r" % (e,))
            self.fail(500, "mock internal error")
            return
        if coro is None:
            self.finish(req.keep_alive, False)
        else:
            job = coro
            task = asyncio.get_running_loop().create_task(self.run(job.coro, req))
            task.add_done_callback(job.finish)   # also if cancelled before start
            self.task = task

    async def run(self, coro, req):
        ka = req.keep_alive
        try:
            ka = await coro
        except (asyncio.CancelledError, ConnectionError):
            self.close()
            return
        except Exception as e:
            log_err("async handler error: %r" % (e,))
            self.close()
            return
        finally:
            self.task = None
        self.finish(ka, True)

    def finish(self, keep_alive, resume):
        if self.closed:
            return
        if not keep_alive:
            self.close()
            return
        self.busy = False
        if self.rpaused:
            self.rpaused = False
            self.t.resume_reading()
        if resume:
            self.process()

    async def flush_wait(self, limit=5.0):
        end = time.monotonic() + limit
        while not self.closed and self.t.get_write_buffer_size() > 0 and time.monotonic() < end:
            await asyncio.sleep(0.002)

    async def cut(self, rst):
        """Close without finishing the response (after flushing what was written)."""
        await self.flush_wait()
        if self.closed:
            return
        if rst:
            sock = self.t.get_extra_info("socket")
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except Exception:
                pass
            self.closed = True
            self.t.abort()
        else:
            self.close()


# --------------------------------------------------------------------------
# helpers for answers
# --------------------------------------------------------------------------


def send_json(conn, req, status, obj_or_bytes, extra="", keep_alive=None):
    body = obj_or_bytes if isinstance(obj_or_bytes, (bytes, bytearray)) else jdump(obj_or_bytes)
    ka = req.keep_alive if keep_alive is None else keep_alive
    head = build_head(status, "application/json", len(body), ka, extra)
    conn.write(head if req.head_only else head + body)


def query_args(req):
    return {k: v[-1] for k, v in parse_qs(req.query, keep_blank_values=True).items()}


def credential(req):
    h = req.h
    v = mock_bedrock.credential(h)     # a SigV4 request: its access key id
    if v is not None:
        return v
    v = h.get("x-api-key")
    if v is not None:
        return v
    v = h.get("authorization")
    if v is not None:
        if v[:7].lower() == "bearer ":
            return v[7:].strip()
        return v
    v = h.get("x-goog-api-key")
    if v is not None:
        return v
    v = h.get("api-key")            # Azure OpenAI
    if v is not None:
        return v
    if "key=" in req.query:
        k = query_args(req).get("key")
        if k is not None:
            return k
    return ""


# --------------------------------------------------------------------------
# x-mock options
# --------------------------------------------------------------------------

INT_KEYS = ("status", "first_byte_ms", "token_ms", "events", "input_tokens",
            "output_tokens", "cache_creation", "cache_creation_5m",
            "cache_creation_1h", "cache_read", "cut_after", "hang", "body_size",
            "retry_after", "reset", "error_after", "cut_rst", "close", "delta_usage")

_xmock_cache = {}


def parse_xmock(s):
    d = _xmock_cache.get(s)
    if d is not None:
        return d
    d = {}
    raw = s
    if not s.isascii():
        try:
            s = s.encode("latin-1").decode("utf-8")
        except (UnicodeError, ValueError):
            pass
    for part in s.split(";"):
        k, sep, v = part.partition("=")
        k = k.strip().lower()
        if not k:
            continue
        v = v.strip()
        if "%" in v:
            v = unquote(v)
        d[k] = v
    if len(_xmock_cache) > 4096:
        _xmock_cache.clear()
    _xmock_cache[raw] = d
    return d


class OptError(Exception):
    pass


def opt_int(d, k, default=None):
    v = d.get(k)
    if v is None or v == "":
        return default
    try:
        return int(v)
    except ValueError:
        try:
            return int(float(v))
        except ValueError:
            raise OptError("x-mock: bad integer for %s: %r" % (k, v))


def rule_opts(req):
    """x-mock options from the first matching rule (consumes one use)."""
    for r in S.rules:
        if r["header"] is not None:
            hn = r["header"]
            val = r["value"]
            hit = False
            for n, v in req.headers:
                if n.lower() == hn and (val is None or v == val):
                    hit = True
                    break
            if not hit:
                continue
        if r["path"] is not None and r["path"] not in req.path:
            continue
        r["hits"] += 1
        if r["times"] is not None:
            r["times"] -= 1
            if r["times"] <= 0:
                S.rules.remove(r)
        return r["opts"]
    return None


def request_opts(req):
    own = req.h.get("x-mock")
    ro = rule_opts(req) if S.rules else None
    if own is None:
        return ro or {}
    d = parse_xmock(own)
    if ro:
        m = dict(ro)
        m.update(d)
        return m
    return d


class Plan:
    """Resolved per-request answer parameters."""
    __slots__ = ("o", "status", "fb", "token_ms", "events", "text", "pieces_src",
                 "inp", "out", "cc", "cc5", "cc1", "cr", "cut", "hang", "body_size",
                 "error_after", "rst", "close", "extra", "model", "stop_reason",
                 "delta_usage")


def make_plan(o, model):
    if not o:
        p = Plan()
        p.o = o
        p.model = model
        p.status = 200
        p.fb = p.token_ms = p.body_size = p.cc = p.cc5 = p.cc1 = p.cr = 0
        p.events = p.out = DEFAULT_EVENTS
        p.text = DEFAULT_TEXT
        p.inp = DEFAULT_INPUT_TOKENS
        p.cut = p.error_after = p.stop_reason = None
        p.hang = p.rst = p.close = p.delta_usage = False
        p.extra = ""
        return p
    p = Plan()
    p.o = o
    p.model = o.get("model") or model
    p.status = opt_int(o, "status", 200)
    if not 100 <= p.status <= 999:
        raise OptError("x-mock: status out of range")
    p.fb = opt_int(o, "first_byte_ms", 0)
    p.token_ms = opt_int(o, "token_ms", 0)
    ev = opt_int(o, "events", DEFAULT_EVENTS)
    ev = max(0, min(ev, MAX_EVENTS))
    p.events = ev
    text = o.get("text")
    if ev == 0:
        full = ""
    elif text is not None:
        full = text               # exact; may yield empty deltas if events > len
    elif ev > len(DEFAULT_TEXT):  # default text repeated: one char per delta
        full = (DEFAULT_TEXT * (ev // len(DEFAULT_TEXT) + 1))[:ev]
    else:
        full = DEFAULT_TEXT
    p.text = full
    p.inp = opt_int(o, "input_tokens", DEFAULT_INPUT_TOKENS)
    p.out = opt_int(o, "output_tokens", ev)
    cc = opt_int(o, "cache_creation")
    cc5 = opt_int(o, "cache_creation_5m")
    cc1 = opt_int(o, "cache_creation_1h")
    if cc is None:
        cc = (cc5 or 0) + (cc1 or 0)
    if cc5 is None:
        cc5 = cc - (cc1 or 0) if cc1 is not None else cc
    if cc1 is None:
        cc1 = 0
    p.cc, p.cc5, p.cc1 = cc, cc5, cc1
    p.cr = opt_int(o, "cache_read", 0)
    p.cut = opt_int(o, "cut_after")
    p.hang = bool(opt_int(o, "hang", 0))
    p.body_size = opt_int(o, "body_size", 0)
    p.error_after = opt_int(o, "error_after")
    p.rst = bool(opt_int(o, "cut_rst", 0))
    p.close = bool(opt_int(o, "close", 0))
    p.stop_reason = o.get("stop_reason")
    p.delta_usage = bool(opt_int(o, "delta_usage", 0))
    extra = []
    for k, v in o.items():
        if k.startswith("h.") and len(k) > 2 and TOKEN_RE.fullmatch(k[2:]) \
                and not CTL_RE.search(v):
            extra.append("%s: %s\r\n" % (k[2:], v))
    p.extra = "".join(extra)
    return p


def pad_text(p, render):
    """body_size: extend the text so render(text) is about body_size bytes."""
    if p.body_size > 0:
        base = len(render(p.text))
        if p.body_size > base:
            p.text += "x" * (p.body_size - base)


def pieces(p):
    full = p.text
    n = p.events
    L = len(full)
    for i in range(n):
        yield full[i * L // n:(i + 1) * L // n]


def next_id():
    S.seq += 1
    return S.seq


# --------------------------------------------------------------------------
# platform: Anthropic
# --------------------------------------------------------------------------

ANTH_ERR = {400: "invalid_request_error", 401: "authentication_error",
            402: "billing_error", 403: "permission_error", 404: "not_found_error",
            413: "request_too_large", 429: "rate_limit_error", 500: "api_error",
            504: "timeout_error", 529: "overloaded_error", 503: "overloaded_error"}
ANTH_MSG = {"invalid_request_error": "Invalid request",
            "authentication_error": "invalid x-api-key",
            "billing_error": "Your credit balance is too low to access the Anthropic API.",
            "permission_error": "Your API key does not have permission to use the specified resource.",
            "not_found_error": "Not found",
            "request_too_large": "Request exceeds the maximum allowed number of bytes.",
            "rate_limit_error": "This request would exceed your account's rate limit. Please try again later.",
            "api_error": "Internal server error",
            "timeout_error": "Request timed out",
            "overloaded_error": "Overloaded"}


def anth_usage(p, out=None):
    return {"input_tokens": p.inp,
            "cache_creation_input_tokens": p.cc,
            "cache_read_input_tokens": p.cr,
            "cache_creation": {"ephemeral_5m_input_tokens": p.cc5,
                               "ephemeral_1h_input_tokens": p.cc1},
            "output_tokens": p.out if out is None else out,
            "service_tier": "standard"}


def anth_error_obj(status, o, rid):
    et = o.get("error_type") or ANTH_ERR.get(status) or (
        "api_error" if status >= 500 else "invalid_request_error")
    msg = o.get("message") or ANTH_MSG.get(et, "Error")
    return {"type": "error", "error": {"type": et, "message": msg}, "request_id": rid}


def error_headers(status, o, platform):
    extra = []
    ra = opt_int(o, "retry_after", DEFAULT_RETRY_AFTER if status == 429 else None)
    if ra is not None and ra < 0:
        ra = None
    reset = opt_int(o, "reset")
    if reset is None and ra is not None and status == 429:
        reset = int(time.time()) + ra
    if ra is not None:
        extra.append("retry-after: %d\r\n" % ra)
    if platform == "anthropic":
        if status == 429:
            extra.append("anthropic-ratelimit-unified-status: rejected\r\n")
            extra.append("anthropic-ratelimit-requests-remaining: 0\r\n")
            if reset is not None and reset > 0:
                extra.append("anthropic-ratelimit-unified-reset: %d\r\n" % reset)
        if status == 429 or status >= 500:
            extra.append("x-should-retry: true\r\n")
    elif platform == "openai":
        if status == 429:
            extra.append("x-ratelimit-remaining-requests: 0\r\n")
            if ra is not None:
                extra.append("x-ratelimit-reset-requests: %ds\r\n" % ra)
    return "".join(extra), ra


def anth_message_obj(p, mid):
    return {"id": mid, "type": "message", "role": "assistant", "model": p.model,
            "content": [{"type": "text", "text": p.text}],
            "stop_reason": p.stop_reason or "end_turn", "stop_sequence": None,
            "usage": anth_usage(p)}


def sse(event, obj):
    return b"event: " + event.encode() + b"\ndata: " + jdump(obj) + b"\n\n"


ANTH_PING = b'event: ping\ndata: {"type":"ping"}\n\n'
ANTH_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
ANTH_CBS = b'event: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n'
ANTH_CBSTOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n'
ANTH_DPRE = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":'
ANTH_DPOST = b'}}\n\n'


def anth_stream(p, mid):
    msg = {"id": mid, "type": "message", "role": "assistant", "model": p.model,
           "content": [], "stop_reason": None, "stop_sequence": None,
           "usage": anth_usage(p, out=1)}
    yield sse("message_start", {"type": "message_start", "message": msg})
    yield ANTH_CBS
    yield ANTH_PING
    for piece in pieces(p):
        yield ANTH_DPRE + jstr(piece).encode() + ANTH_DPOST
    yield ANTH_CBSTOP
    if p.delta_usage:
        u = {"input_tokens": p.inp, "cache_creation_input_tokens": p.cc,
             "cache_read_input_tokens": p.cr, "output_tokens": p.out}
    else:
        u = {"output_tokens": p.out}
    yield sse("message_delta", {"type": "message_delta",
                                "delta": {"stop_reason": p.stop_reason or "end_turn",
                                          "stop_sequence": None},
                                "usage": u})
    yield ANTH_STOP


def anth_stream_error(p, rid):
    et = p.o.get("error_type") or "overloaded_error"
    return sse("error", {"type": "error", "error": {
        "type": et, "message": p.o.get("message") or ANTH_MSG.get(et, "Error")},
        "request_id": rid})


# --------------------------------------------------------------------------
# platform: OpenAI
# --------------------------------------------------------------------------

OAI_ERR = {400: ("invalid_request_error", None),
           401: ("invalid_request_error", "invalid_api_key"),
           403: ("invalid_request_error", "unsupported_country_region_territory"),
           404: ("invalid_request_error", "model_not_found"),
           429: ("requests", "rate_limit_exceeded"),
           500: ("server_error", None), 502: ("server_error", None),
           503: ("server_error", None), 529: ("server_error", None)}
OAI_MSG = {400: "Invalid request.", 401: "Incorrect API key provided.",
           403: "Country, region, or territory not supported.",
           404: "The model does not exist or you do not have access to it.",
           429: "Rate limit reached. Please try again later.",
           500: "The server had an error while processing your request.",
           503: "The engine is currently overloaded, please try again later."}


def oai_error_obj(status, o):
    et, code = OAI_ERR.get(status) or (
        ("server_error", None) if status >= 500 else ("invalid_request_error", None))
    et = o.get("error_type") or et
    code = o.get("error_code") or code
    msg = o.get("message") or OAI_MSG.get(status) or OAI_MSG.get(
        500 if status >= 500 else 400)
    return {"error": {"message": msg, "type": et, "param": None, "code": code}}


def oai_usage(p):
    pt = p.inp + p.cr
    return {"prompt_tokens": pt, "completion_tokens": p.out,
            "total_tokens": pt + p.out,
            "prompt_tokens_details": {"cached_tokens": p.cr, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
                                          "accepted_prediction_tokens": 0,
                                          "rejected_prediction_tokens": 0}}


def chat_obj(p, cid, created):
    return {"id": cid, "object": "chat.completion", "created": created,
            "model": p.model,
            "choices": [{"index": 0,
                         "message": {"role": "assistant", "content": p.text,
                                     "refusal": None, "annotations": []},
                         "logprobs": None,
                         "finish_reason": p.stop_reason or "stop"}],
            "usage": oai_usage(p), "service_tier": "default",
            "system_fingerprint": "fp_mock"}


def chat_stream(p, cid, created, include_usage):
    base = {"id": cid, "object": "chat.completion.chunk", "created": created,
            "model": p.model, "service_tier": "default",
            "system_fingerprint": "fp_mock"}
    extra = {"usage": None} if include_usage else {}

    def chunk(delta, finish=None):
        d = dict(base)
        d["choices"] = [{"index": 0, "delta": delta, "logprobs": None,
                         "finish_reason": finish}]
        d.update(extra)
        return b"data: " + jdump(d) + b"\n\n"
    yield chunk({"role": "assistant", "content": "", "refusal": None})
    d = dict(base)
    d["choices"] = [{"index": 0, "delta": {"content": "\x00"}, "logprobs": None,
                     "finish_reason": None}]
    d.update(extra)
    pre, post = jdump(d).split(b'"\\u0000"')
    pre = b"data: " + pre
    post = post + b"\n\n"
    for piece in pieces(p):
        yield pre + jstr(piece).encode() + post
    yield chunk({}, p.stop_reason or "stop")
    if include_usage:
        d = dict(base)
        d["choices"] = []
        d["usage"] = oai_usage(p)
        yield b"data: " + jdump(d) + b"\n\n"
    yield b"data: [DONE]\n\n"


def oai_stream_error(p):
    return b"data: " + jdump(oai_error_obj(500, p.o)) + b"\n\n"


def resp_usage(p):
    it = p.inp + p.cr
    return {"input_tokens": it, "input_tokens_details": {"cached_tokens": p.cr},
            "output_tokens": p.out, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": it + p.out}


def resp_obj(p, rid, created, status, with_output):
    out = []
    if with_output:
        out = [{"id": "msg_" + rid[5:], "type": "message", "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "annotations": [], "logprobs": [],
                             "text": p.text}]}]
    return {"id": rid, "object": "response", "created_at": created, "status": status,
            "background": False, "error": None, "incomplete_details": None,
            "instructions": None, "max_output_tokens": None, "model": p.model,
            "output": out, "parallel_tool_calls": True, "previous_response_id": None,
            "reasoning": {"effort": None, "summary": None}, "service_tier": "default",
            "store": True, "temperature": 1.0, "text": {"format": {"type": "text"}},
            "tool_choice": "auto", "tools": [], "top_p": 1.0, "truncation": "disabled",
            "usage": resp_usage(p) if with_output else None, "user": None,
            "metadata": {}}


def resp_stream(p, rid, created):
    seq = [0]
    item_id = "msg_" + rid[5:]

    def ev(name, obj):
        obj["sequence_number"] = seq[0]
        seq[0] += 1
        return sse(name, obj)
    yield ev("response.created", {"type": "response.created",
                                  "response": resp_obj(p, rid, created, "in_progress", False)})
    yield ev("response.in_progress", {"type": "response.in_progress",
                                      "response": resp_obj(p, rid, created, "in_progress", False)})
    yield ev("response.output_item.added", {
        "type": "response.output_item.added", "output_index": 0,
        "item": {"id": item_id, "type": "message", "status": "in_progress",
                 "role": "assistant", "content": []}})
    yield ev("response.content_part.added", {
        "type": "response.content_part.added", "item_id": item_id, "output_index": 0,
        "content_index": 0, "part": {"type": "output_text", "annotations": [],
                                     "logprobs": [], "text": ""}})
    for piece in pieces(p):
        yield ev("response.output_text.delta", {
            "type": "response.output_text.delta", "item_id": item_id,
            "output_index": 0, "content_index": 0, "delta": piece, "logprobs": []})
    yield ev("response.output_text.done", {
        "type": "response.output_text.done", "item_id": item_id, "output_index": 0,
        "content_index": 0, "text": p.text, "logprobs": []})
    part = {"type": "output_text", "annotations": [], "logprobs": [], "text": p.text}
    yield ev("response.content_part.done", {
        "type": "response.content_part.done", "item_id": item_id, "output_index": 0,
        "content_index": 0, "part": part})
    yield ev("response.output_item.done", {
        "type": "response.output_item.done", "output_index": 0,
        "item": {"id": item_id, "type": "message", "status": "completed",
                 "role": "assistant", "content": [part]}})
    yield ev("response.completed", {"type": "response.completed",
                                    "response": resp_obj(p, rid, created, "completed", True)})


def resp_stream_error(p):
    e = oai_error_obj(500, p.o)["error"]
    return sse("error", {"type": "error", "code": e["code"] or e["type"],
                         "message": e["message"], "param": None})


# --------------------------------------------------------------------------
# platform: Gemini
# --------------------------------------------------------------------------

GEM_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED",
              404: "NOT_FOUND", 409: "ABORTED", 429: "RESOURCE_EXHAUSTED",
              499: "CANCELLED", 500: "INTERNAL", 501: "NOT_IMPLEMENTED",
              503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 529: "UNAVAILABLE"}
GEM_MSG = {429: "Resource has been exhausted (e.g. check quota).",
           401: "API key not valid. Please pass a valid API key.",
           403: "The caller does not have permission",
           503: "The model is overloaded. Please try again later.",
           500: "An internal error has occurred. Please retry or report in "
                "https://developers.generativeai.google/guide/troubleshooting"}


def gem_error_obj(status, o, ra):
    st = o.get("error_type") or GEM_STATUS.get(status) or (
        "INTERNAL" if status >= 500 else "INVALID_ARGUMENT")
    msg = o.get("message") or GEM_MSG.get(status) or "Request failed."
    e = {"code": status, "message": msg, "status": st}
    if status == 429 and ra is not None:
        e["details"] = [{"@type": "type.googleapis.com/google.rpc.RetryInfo",
                         "retryDelay": "%ds" % ra}]
    return {"error": e}


def gem_usage(p, out=None):
    out = p.out if out is None else out
    pt = p.inp + p.cr
    u = {"promptTokenCount": pt, "candidatesTokenCount": out,
         "totalTokenCount": pt + out}
    if p.cr:
        u["cachedContentTokenCount"] = p.cr
    u["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": pt}]
    return u


def gem_obj(p, rid, text, finish, usage):
    c = {"content": {"parts": [{"text": text}], "role": "model"}, "index": 0}
    if finish:
        c["finishReason"] = p.stop_reason or "STOP"
    return {"candidates": [c], "usageMetadata": usage, "modelVersion": p.model,
            "responseId": rid}


def gem_stream(p, rid, sep):
    n = p.events
    i = 0
    for piece in pieces(p):
        i += 1
        last = i == n
        u = gem_usage(p) if last else gem_usage(p, out=min(i, p.out))
        yield b"data: " + jdump(gem_obj(p, rid, piece, last, u)) + sep
    if n == 0:
        yield b"data: " + jdump(gem_obj(p, rid, "", True, gem_usage(p))) + sep


def ca_wrap(out, gen, trace):
    """Code Assist's answers: each Gemini answer as {"response": ...}."""
    pre = b'{"response":'
    post = b',"traceId":"' + trace.encode() + b'"}'
    if out is not None:
        out = pre + out + post

    def events(gen):
        for ev in gen:
            if ev.startswith(b"data: "):
                body, sep = ev[6:].rstrip(b"\r\n"), ev[6 + len(ev[6:].rstrip(b"\r\n")):]
                yield b"data: " + pre + body + post + sep
            else:
                yield ev
    return out, (events(gen) if gen is not None else None)


def gem_stream_json(p, rid):
    """streamGenerateContent without alt=sse: one JSON array, element per chunk."""
    first = True
    for ev in gem_stream(p, rid, b""):
        yield (b"[" if first else b",\r\n") + ev[6:]
        first = False
    yield b"]"


# --------------------------------------------------------------------------
# request handling
# --------------------------------------------------------------------------

MODELS = [("claude-opus-4-1-20250805", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
          ("claude-sonnet-4-5-20250929", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
          ("claude-opus-4-20250514", "Claude Opus 4", "2025-05-22T00:00:00Z"),
          ("claude-sonnet-4-20250514", "Claude Sonnet 4", "2025-05-22T00:00:00Z"),
          ("claude-3-5-haiku-20241022", "Claude Haiku 3.5", "2024-10-22T00:00:00Z")]


def model_obj(m):
    return {"type": "model", "id": m[0], "display_name": m[1], "created_at": m[2]}


MODELS_BODY = jdump({"data": [model_obj(m) for m in MODELS], "has_more": False,
                     "first_id": MODELS[0][0], "last_id": MODELS[-1][0]})

_route_cache = {}


def route(path):
    r = _route_cache.get(path)
    if r is not None:
        return r
    br = mock_bedrock.route(path)      # the model id is one encoded segment
    p = unquote(path) if "%" in path else path
    p = p.rstrip("/") if len(p) > 1 else p
    if br is not None:
        r = ("bedrock", br[0], br[1])
    elif p.endswith("/v1/messages"):
        r = ("anthropic", "messages", None)
    elif p.endswith("/v1/messages/count_tokens"):
        r = ("anthropic", "count_tokens", None)
    elif p.endswith("/v1/models"):
        r = ("anthropic", "models", None)
    elif p.endswith("/chat/completions"):
        r = ("openai", "chat", None)
    elif (p.endswith("/v1/responses") or p == "/responses"
          or p.endswith("/backend-api/codex/responses")):
        r = ("openai", "responses", None)
    elif CODE_ASSIST_RE.search(p):
        # Gemini Code Assist (cloudcode-pa): wrapped requests and answers
        r = ("gemini", CODE_ASSIST_RE.search(p).group(1), CODE_ASSIST)
    else:
        m = GEMINI_RE.search(p)
        if m and m.group(2) in ("generateContent", "streamGenerateContent",
                                "countTokens"):
            r = ("gemini", m.group(2), m.group(1))
        elif m and m.group(2) in ("rawPredict", "streamRawPredict"):
            r = ("anthropic", m.group(2), m.group(1))
        else:
            i = p.find("/v1/models/")
            if i >= 0 and "/" not in p[i + 11:]:
                r = ("anthropic", "model", p[i + 11:])
            else:
                r = ("anthropic", "notfound", None)
    if len(_route_cache) > 4096:
        _route_cache.clear()
    _route_cache[path] = r
    return r


def handle(conn, req):
    path = req.path
    if path.startswith("/__mock/"):
        control(conn, req)
        return None
    if path in OAUTH_TOKEN_PATHS:
        return oauth_token(conn, req, OAUTH_TOKEN_PATHS[path])
    if path in ("/v1internal:loadCodeAssist", "/v1internal:onboardUser"):
        code_assist(conn, req, path.split(":")[1])
        return None
    if path.startswith("/__hook/"):
        return webhook(conn, req)
    return handle_api(conn, req)


# each provider's token endpoint, by the path it has in the real one
OAUTH_TOKEN_PATHS = {
    "/v1/oauth/token": "claude",            # console.anthropic.com
    "/oauth/token": "openai",               # auth.openai.com
    "/token": "google",                     # oauth2.googleapis.com
    "/user_management/authenticate": "workos",
}


def fake_jwt(claims):
    """A JWT of these claims (signed with nothing: admind only reads it)."""
    def part(o):
        return base64.urlsafe_b64encode(
            json.dumps(o).encode()).rstrip(b"=").decode()
    return "%s.%s.sig" % (part({"alg": "RS256", "typ": "JWT"}), part(claims))


def oauth_answer(provider, n, o):
    """The token answer in the provider's own shape."""
    email = "user%d@example.org" % n
    if provider == "workos":
        # no expires_in: the access token is a JWT with its own exp
        return {"access_token": fake_jwt({"sub": "user_%d" % n,
                                          "exp": int(time.time())
                                          + o["expires_in"]}),
                "refresh_token": "oauth-refresh-%d" % n,
                "user": {"id": "user_%d" % n, "email": email},
                "organization_id": "org_%d" % n}
    a = {"token_type": "Bearer", "access_token": "oauth-access-%d" % n,
         "refresh_token": "oauth-refresh-%d" % n,
         "expires_in": o["expires_in"]}
    if provider == "claude":
        a["scope"] = "user:inference user:profile"
        a["account"] = {"uuid": "acct-%d" % n, "email_address": email}
        a["organization"] = {"uuid": "org-%d" % n, "name": "Org %d" % n}
    elif provider == "openai":
        a["scope"] = "openid profile email offline_access"
        a["id_token"] = fake_jwt({
            "email": email, "https://api.openai.com/auth": {
                "chatgpt_account_id": "chatgpt-acct-%d" % n,
                "chatgpt_plan_type": "pro"}})
    else:
        a["scope"] = "https://www.googleapis.com/auth/cloud-platform"
        a["id_token"] = fake_jwt({"email": email})
    return a


def webhook(conn, req):
    """A webhook receiver: records what it gets; may answer errors."""
    # the name is the first segment: /__hook/<name>/bot123:abc/sendMessage
    name = req.path[len("/__hook/"):].split("/", 1)[0]
    fail = S.hook_fail.get(name)
    status = 200
    answer = {"ok": True}
    if fail and fail["times"] > 0:
        fail["times"] -= 1
        status = fail["status"]
        answer = fail["body"]
    S.hooks.append({
        "name": name, "method": req.method, "path": req.path,
        "query": req.query,
        "headers": {k.lower(): v for k, v in req.headers},
        "body": req.body.decode("utf-8", "replace"),
        "status": status, "time": time.time()})
    delay = S.hook_delay.get(name, 0)
    if not delay:
        send_json(conn, req, status, answer)
        return None
    return Later(hook_answer_later(conn, req, delay, status, answer))


async def hook_answer_later(conn, req, delay, status, answer):
    await asyncio.sleep(delay)
    send_json(conn, req, status, answer)
    return req.keep_alive


class Later:
    """An answer given after a pause (a slow provider or receiver)."""
    __slots__ = ("coro",)

    def __init__(self, coro):
        self.coro = coro

    def finish(self, task=None):
        if task is not None:       # ended, or cancelled before it started
            self.coro.close()


def oauth_token(conn, req, provider):
    """An OAuth token endpoint: code grants with PKCE, refresh grants
    with rotation, in each provider's answer shape; failures and delays
    on demand (POST /__mock/oauth)."""
    o = S.oauth
    o["calls"] += 1
    if o["delay_ms"] > 0:
        async def slow():
            await asyncio.sleep(o["delay_ms"] / 1000)
            oauth_grant(conn, req, provider)
            return req.keep_alive
        return Later(slow())
    oauth_grant(conn, req, provider)
    return None


def oauth_grant(conn, req, provider):
    o = S.oauth
    if o["fail"] > 0:
        o["fail"] -= 1
        return send_json(conn, req, o["fail_status"],
                         {"error": "temporarily_unavailable"})
    form = (req.h.get("content-type") or "").startswith(
        "application/x-www-form-urlencoded")
    try:
        if form:
            # Google's endpoint: a form, with the client secret
            body = {k: v[-1] for k, v in
                    parse_qs(req.body.decode(), keep_blank_values=True).items()}
        else:
            body = json.loads(req.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        body = None
    if req.method != "POST" or not isinstance(body, dict):
        return send_json(conn, req, 400, {"error": "invalid_request"})
    if o["client_id"] and body.get("client_id") != o["client_id"]:
        return send_json(conn, req, 401, {"error": "invalid_client"})
    if provider == "google" and body.get("client_secret") != o.get(
            "client_secret"):
        return send_json(conn, req, 401, {"error": "invalid_client"})
    if body.get("grant_type") == "authorization_code":
        # PKCE: the verifier must hash to the code's challenge (S256)
        code = o["codes"].pop(body.get("code"), None)
        verifier = body.get("code_verifier") or ""
        digest = hashlib.sha256(verifier.encode()).digest()
        challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        if code is None or code["challenge"] != challenge:
            return send_json(conn, req, 400, {"error": "invalid_grant"})
        if code.get("redirect_uri") not in (None, body.get("redirect_uri")):
            return send_json(conn, req, 400, {"error": "invalid_grant"})
    else:
        rt = body.get("refresh_token")
        if body.get("grant_type") != "refresh_token" or rt not in o["refresh"]:
            return send_json(conn, req, 400, {"error": "invalid_grant"})
        # rotation: the old refresh token stops working
        o["refresh"].discard(rt)
    o["issued"] += 1
    n = o["issued"]
    o["refresh"].add("oauth-refresh-%d" % n)
    o.setdefault("providers", []).append(provider)
    return send_json(conn, req, 200, oauth_answer(provider, n, o))


def code_assist(conn, req, method):
    """Gemini CLI's project lookup: loadCodeAssist, then onboardUser (a
    long-running operation) for a user without a tier."""
    c = S.code_assist
    try:
        body = json.loads(req.body or b"{}")
    except ValueError:
        body = None
    c["calls"].append({"method": method, "body": body,
                       "authorization": req.h.get("authorization")})
    if not isinstance(body, dict) or not isinstance(body.get("metadata"),
                                                    dict):
        return send_json(conn, req, 400, {"error": {
            "code": 400, "message": "metadata is required",
            "status": "INVALID_ARGUMENT"}})
    if not (req.h.get("authorization") or "").startswith("Bearer oauth-"):
        return send_json(conn, req, 401, {"error": {
            "code": 401, "message": "Request had invalid authentication "
            "credentials.", "status": "UNAUTHENTICATED"}})
    if method == "loadCodeAssist":
        if c["project"] is not None:
            return send_json(conn, req, 200, {
                "currentTier": {"id": c["tier"], "name": "Gemini Code Assist"},
                "allowedTiers": [{"id": c["tier"], "isDefault": True}],
                "cloudaicompanionProject": c["project"]})
        return send_json(conn, req, 200, {"allowedTiers": [
            {"id": "legacy-tier", "isDefault": False},
            {"id": "free-tier", "isDefault": True}]})
    if c["pending"] > 0:
        c["pending"] -= 1
        return send_json(conn, req, 200, {"name": "operations/onboard-1",
                                          "done": False})
    c["managed"] += 1
    c["project"] = body.get("cloudaicompanionProject") or (
        "managed-project-%d" % c["managed"])
    c["tier"] = body.get("tierId")
    return send_json(conn, req, 200, {"name": "operations/onboard-1",
                                      "done": True, "response": {
                                          "cloudaicompanionProject": {
                                              "id": c["project"],
                                              "name": c["project"]}}})


def make_record(req, cred):
    idx = S.rec_next
    S.rec_next = idx + 1
    body = req.body
    rec = [idx, time.time(), req.method, req.path, req.query, req.headers,
           body[:RECORD_BODY_MAX], len(body), cred, 0, False]
    S.records.append(rec)
    return rec


def render_record(r):
    return {"index": r[0], "time": r[1], "method": r[2], "path": r[3], "query": r[4],
            "headers": [[n, v] for n, v in r[5]],
            "body": r[6].decode("utf-8", "replace"), "body_len": r[7],
            "body_truncated": r[7] > len(r[6]), "credential": r[8],
            "status": r[9], "stream": r[10]}


def handle_api(conn, req):
    cred = credential(req)
    rec = make_record(req, cred)
    S.requests += 1
    inf = S.inflight.get(cred, 0) + 1
    S.inflight[cred] = inf
    if inf > S.max_inflight.get(cred, 0):
        S.max_inflight[cred] = inf
    S.total[cred] = S.total.get(cred, 0) + 1
    t0 = time.monotonic() if S.log is not None else 0
    done = True
    try:
        res = build_answer(req, rec)
        if res[0] == "sync":
            status, body, extra, ka = res[1], res[2], res[3], res[4]
            rec[9] = status
            send_json(conn, req, status, body, extra, ka)
            if S.log is not None:
                log("%s %s %d cred=%s %.1fms" % (req.method, req.target, status, cred,
                                               (time.monotonic() - t0) * 1000))
            if not ka:
                req.keep_alive = False
            return None
        done = False
        job = Job()
        job.cred, job.req, job.rec, job.t0, job.done = cred, req, rec, t0, False
        job.coro = run_async(conn, req, rec, res, job)
        return job
    finally:
        if done:
            S.inflight[cred] -= 1


class Job:
    """An answer that needs the event loop (delays, streams, hang, cut)."""
    __slots__ = ("coro", "cred", "req", "rec", "t0", "done")

    def finish(self, _task=None):
        if self.done:
            return
        self.done = True
        S.inflight[self.cred] -= 1
        if _task is not None:      # task ended without running us: no warning
            self.coro.close()
        if S.log is not None:
            req = self.req
            log("%s %s %d cred=%s %.1fms%s" % (
                req.method, req.target, self.rec[9], self.cred,
                (time.monotonic() - self.t0) * 1000,
                " (stream)" if self.rec[10] else ""))


def build_answer(req, rec):
    """Returns ("sync", status, body, extra, keep_alive) or ("async", ...)."""
    platform, op, arg = route(req.path)
    rid_n = next_id()
    try:
        o = request_opts(req)
        p = make_plan(o, "")
    except OptError as e:
        return ("sync", 400, err_body(platform, 400, {"message": str(e)}, rid_n),
                "", req.keep_alive)
    ka = req.keep_alive and not p.close
    extra = p.extra
    if platform == "bedrock":
        return bedrock_answer(req, rec, p, o, op, arg, rid_n, extra, ka)
    if platform == "anthropic":
        extra += "request-id: req_mock%020d\r\n" % rid_n
    elif platform == "openai":
        extra += "x-request-id: req_mock%020d\r\nopenai-processing-ms: 1\r\n" % rid_n

    # method / route errors (x-mock status does not apply to these)
    want = "GET" if op in ("models", "model") else "POST"
    if op == "notfound":
        return ("sync", 404, err_body("anthropic", 404, {
            "message": "Not found: %s %s" % (req.method, req.path)}, rid_n), extra, ka)
    if req.method != want and not (want == "GET" and req.method == "HEAD"):
        return ("sync", 405, err_body(platform, 405, {
            "error_type": {"anthropic": "invalid_request_error", "openai": "invalid_request_error",
                           "gemini": "INVALID_ARGUMENT"}[platform],
            "message": "Method %s not allowed for %s" % (req.method, req.path)}, rid_n),
            extra + "allow: %s\r\n" % want, ka)

    body = None
    if want == "POST":
        try:
            body = _json_dec.decode(req.body.decode("utf-8")) if req.body else None
        except (ValueError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict):
            return ("sync", 400, err_body(platform, 400, {
                "message": "mock: request body must be a JSON object"}, rid_n), extra, ka)

    # ChatGPT's Codex backend wants the ChatGPT account id, like the real one
    if "/backend-api/codex/" in req.path and not req.h.get("chatgpt-account-id"):
        return ("sync", 401, err_body("openai", 401, {
            "message": "mock: chatgpt-account-id is required"}, rid_n), extra, ka)

    if p.hang or p.status >= 300 or p.fb > 0 or p.cut is not None:
        async_needed = True
    else:
        async_needed = False

    if p.status >= 300:
        ehdr, ra = error_headers(p.status, o, platform)
        ebody = err_body(platform, p.status, o, rid_n, ra)
        if not async_needed:
            return ("sync", p.status, ebody, extra + ehdr, ka)
        return ("async", "json", p, p.status, ebody, extra + ehdr, ka, platform)

    # success answers
    stream = False
    gen = None
    out = None
    ctype = "text/event-stream"
    now = int(time.time())
    if platform == "anthropic":
        if op in ("messages", "rawPredict", "streamRawPredict"):
            p.model = p.o.get("model") or body.get("model") or arg or "claude-mock"
            stream = body.get("stream") is True or op == "streamRawPredict"
            mid = "msg_mock%016d" % rid_n
            if p.body_size:
                pad_text(p, lambda t: jdump(anth_message_obj_t(p, mid, t)))
            if stream:
                gen = anth_stream(p, mid)
                errf = lambda: anth_stream_error(p, "req_mock%020d" % rid_n)
            else:
                key = ("a", p.model, p.text, p.inp, p.cc, p.cc5, p.cc1, p.cr, p.out,
                       p.stop_reason)
                t = _tmpl_cache.get(key)
                if t is None:
                    t = template(anth_message_obj(p, ID_MARK))
                    _tmpl_cache[key] = t
                out = t[0] + mid.encode() + t[1]
            extra += now_headers()[2]
        elif op == "count_tokens":
            out = jdump({"input_tokens": p.inp})
        elif op == "models":
            out = MODELS_BODY
        else:  # single model
            for m in MODELS:
                if m[0] == arg:
                    out = jdump(model_obj(m))
                    break
            else:
                return ("sync", 404, err_body("anthropic", 404, {
                    "error_type": "not_found_error",
                    "message": "model: %s" % arg}, rid_n), extra, ka)
    elif platform == "openai":
        p.model = p.o.get("model") or body.get("model") or "gpt-mock"
        stream = body.get("stream") is True
        if op == "chat":
            cid = "chatcmpl-mock%016d" % rid_n
            if p.body_size:
                pad_text(p, lambda t: jdump(chat_obj_t(p, cid, now, t)))
            if stream:
                so = body.get("stream_options")
                inc = isinstance(so, dict) and so.get("include_usage") is True
                gen = chat_stream(p, cid, now, inc)
                errf = lambda: oai_stream_error(p)
                ctype = "text/event-stream; charset=utf-8"
            else:
                out = jdump(chat_obj(p, cid, now))
        else:
            rid = "resp_mock%016d" % rid_n
            if p.body_size:
                pad_text(p, lambda t: jdump(resp_obj_t(p, rid, now, t)))
            if stream:
                gen = resp_stream(p, rid, now)
                errf = lambda: resp_stream_error(p)
                ctype = "text/event-stream; charset=utf-8"
            else:
                out = jdump(resp_obj(p, rid, now, "completed", True))
    else:  # gemini
        ca = arg == CODE_ASSIST
        if ca:
            # {"model", "project", "request": <Gemini request>}
            if not isinstance(body.get("request"), dict) or not body.get("project"):
                return ("sync", 400, err_body("gemini", 400, {
                    "message": "mock: Code Assist needs project and request"},
                    rid_n), extra, ka)
            arg = body.get("model")
        p.model = p.o.get("model") or arg
        grid = "mock%016d" % rid_n
        if op == "countTokens":
            out = jdump({"totalTokens": p.inp + p.cr,
                         "promptTokensDetails": [{"modality": "TEXT",
                                                  "tokenCount": p.inp + p.cr}]})
        else:
            if p.body_size:
                pad_text(p, lambda t: jdump(gem_obj(p, grid, t, True, gem_usage(p))))
            if op == "streamGenerateContent":
                stream = True
                if query_args(req).get("alt") == "sse":
                    sep = b"\n\n" if o.get("sse_crlf") == "0" else b"\r\n\r\n"
                    gen = gem_stream(p, grid, sep)
                    errf = lambda: b"data: " + jdump(gem_error_obj(503, p.o, None)) + sep
                else:
                    gen = gem_stream_json(p, grid)
                    ctype = "application/json; charset=UTF-8"
                    errf = lambda: b",\r\n" + jdump(gem_error_obj(503, p.o, None)) + b"]"
            else:
                out = jdump(gem_obj(p, grid, p.text, True, gem_usage(p)))
        if ca:
            out, gen = ca_wrap(out, gen, grid)

    rec[10] = stream
    if stream:
        return ("async", "stream", p, 200, gen, extra, ka, ctype, errf)
    if async_needed:
        return ("async", "json", p, 200, out, extra, ka, platform)
    return ("sync", 200, out, extra, ka)


def bedrock_answer(req, rec, p, o, op, model, rid_n, extra, ka):
    """AWS Bedrock runtime: checked as Bedrock checks, answered in its
    framing (mock_bedrock.py)."""
    if req.method != "POST":
        return ("sync", 405, mock_bedrock.error(405, "method")[1], "", ka)
    try:
        body = _json_dec.decode(req.body.decode("utf-8")) if req.body else None
    except (ValueError, UnicodeDecodeError):
        body = None
    bad = mock_bedrock.check(req, body)
    if bad is not None:
        return ("sync", bad[0], bad[2], extra + bad[1], ka)
    if p.status >= 300:
        eh, eb = mock_bedrock.error(p.status, o.get("message")
                                    or "mock: status %d" % p.status,
                                    o.get("exception"))
        if p.hang or p.fb > 0 or p.cut is not None:
            return ("async", "json", p, p.status, eb, extra + eh, ka,
                    "bedrock")
        return ("sync", p.status, eb, extra + eh, ka)
    p.model = p.o.get("model") or mock_bedrock.anthropic_model(model)
    mid = "msg_bdrk%016d" % rid_n
    extra += mock_bedrock.headers(p)
    if op == "invoke-with-response-stream":
        rec[10] = True
        return ("async", "stream", p, 200,
                mock_bedrock.stream(anth_stream(p, mid), p), extra, ka,
                "application/vnd.amazon.eventstream",
                lambda: mock_bedrock.stream_error(p.o))
    out = jdump(anth_message_obj(p, mid))
    if p.hang or p.fb > 0 or p.cut is not None:
        return ("async", "json", p, 200, out, extra, ka, "bedrock")
    return ("sync", 200, out, extra, ka)


def anth_message_obj_t(p, mid, t):
    saved, p.text = p.text, t
    try:
        return anth_message_obj(p, mid)
    finally:
        p.text = saved


def chat_obj_t(p, cid, now, t):
    saved, p.text = p.text, t
    try:
        return chat_obj(p, cid, now)
    finally:
        p.text = saved


def resp_obj_t(p, rid, now, t):
    saved, p.text = p.text, t
    try:
        return resp_obj(p, rid, now, "completed", True)
    finally:
        p.text = saved


ID_MARK = "\x00mock-id\x00"
_tmpl_cache = {}


def template(obj):
    """Serialize obj once; split around the id so only the id varies per answer."""
    if len(_tmpl_cache) > 1024:
        _tmpl_cache.clear()
    pre, post = jdump(obj).split(jstr(ID_MARK)[1:-1].encode(), 1)
    return pre, post


def err_body(platform, status, o, rid_n, ra=None):
    if platform == "openai":
        return jdump(oai_error_obj(status, o))
    if platform == "gemini":
        return jdump(gem_error_obj(status, o, ra))
    return jdump(anth_error_obj(status, o, "req_mock%020d" % rid_n))


async def run_async(conn, req, rec, res, job):
    status = res[3]
    ka = res[6]
    p = res[2]
    try:
        if p.hang:
            await asyncio.get_running_loop().create_future()   # until cancelled
        if p.fb > 0:
            await asyncio.sleep(p.fb / 1000.0)
        rec[9] = status
        if res[1] == "json":
            body, extra = res[4], res[5]
            head = build_head(status, "application/json", len(body), ka, extra)
            if p.cut is not None:
                conn.write(head + body[:len(body) // 2])
                await conn.cut(p.rst)
                return False
            conn.write(head if req.head_only else head + body)
            return ka
        # stream
        gen, extra, ctype, errf = res[4], res[5], res[7], res[8]
        chunked = req.version == "HTTP/1.1"
        if not chunked:
            ka = False
        conn.write(build_head(200, ctype, None if chunked else -1, ka,
                              "cache-control: no-cache\r\n" + extra))
        cut = p.cut
        if cut is not None and cut <= 0:
            await conn.cut(p.rst)
            return False
        err_after = p.error_after
        tms = p.token_ms / 1000.0 if p.token_ms > 0 else 0
        n = 0
        for ev in gen:
            if err_after is not None and n >= err_after:
                ev = errf()
                conn.write(b"%x\r\n%s\r\n" % (len(ev), ev) if chunked else ev)
                break
            if n and tms:
                await asyncio.sleep(tms)
            if not conn.write(b"%x\r\n%s\r\n" % (len(ev), ev) if chunked else ev):
                raise ConnectionResetError()
            n += 1
            if cut is not None and n >= cut:
                await conn.cut(p.rst)
                return False
            if conn.wpaused:
                await conn.drain()
            elif not tms and not n & 63:
                await asyncio.sleep(0)
        if chunked:
            conn.write(b"0\r\n\r\n")
        return ka
    finally:
        job.finish()


# --------------------------------------------------------------------------
# /__mock control endpoints
# --------------------------------------------------------------------------


def control(conn, req):
    path = req.path.rstrip("/")
    m = req.method
    ok = {"ok": True}
    if path == "/__mock/health":
        return send_json(conn, req, 200, ok)
    if path == "/__mock/requests":
        if m in ("GET", "HEAD"):
            since = query_args(req).get("since")
            try:
                since = int(since) if since else 0
            except ValueError:
                return send_json(conn, req, 400, {"error": "bad since"})
            recs = [render_record(r) for r in S.records if r[0] >= since]
            return send_json(conn, req, 200, {"requests": recs, "next": S.rec_next})
        if m == "DELETE":
            S.records.clear()
            S.rec_next = 0
            return send_json(conn, req, 200, ok)
    elif path == "/__mock/stats":
        if m in ("GET", "HEAD"):
            return send_json(conn, req, 200, {
                "inflight": S.inflight,
                "max_inflight": S.max_inflight, "total": S.total,
                "requests": S.requests})
        if m == "DELETE":
            reset_stats()
            return send_json(conn, req, 200, ok)
    elif path == "/__mock/oauth":
        # GET: the token endpoint's state; POST: live refresh tokens,
        # expires_in and the client id it wants
        if m == "POST":
            try:
                spec = json.loads(req.body)
                S.oauth["refresh"] |= set(spec.get("refresh_tokens", []))
                S.oauth["expires_in"] = int(spec.get("expires_in",
                                                     S.oauth["expires_in"]))
                S.oauth["client_id"] = spec.get("client_id",
                                                S.oauth["client_id"])
                S.oauth["client_secret"] = spec.get(
                    "client_secret", S.oauth.get("client_secret"))
                # codes the user got by approving: code -> its challenge
                for code, c in spec.get("codes", {}).items():
                    S.oauth["codes"][code] = c
                # a revoked refresh token stops working
                S.oauth["refresh"] -= set(spec.get("revoke", []))
                for k in ("fail", "fail_status", "delay_ms"):
                    if k in spec:
                        S.oauth[k] = int(spec[k])
                if "code_assist" in spec:
                    S.code_assist.update(spec["code_assist"])
            except (ValueError, TypeError, AttributeError):
                return send_json(conn, req, 400, {"error": "bad oauth spec"})
        return send_json(conn, req, 200, {
            "calls": S.oauth["calls"], "issued": S.oauth["issued"],
            "refresh_tokens": sorted(S.oauth["refresh"]),
            "providers": S.oauth.get("providers", []),
            "code_assist": S.code_assist})
    elif path == "/__mock/aws":
        # POST {"access_key_id": secret, ...}: IAM keys Bedrock accepts
        if m == "POST":
            try:
                keys = json.loads(req.body)
                mock_bedrock.SECRETS.update(
                    {str(k): str(v) for k, v in keys.items()})
            except (ValueError, TypeError, AttributeError):
                return send_json(conn, req, 400, {"error": "bad aws keys"})
        return send_json(conn, req, 200, {
            "access_key_ids": sorted(mock_bedrock.SECRETS)})
    elif path == "/__mock/rules":
        if m in ("GET", "HEAD"):
            return send_json(conn, req, 200, {"rules": [
                {"id": r["id"], "match": r["match"], "x-mock": r["xmock"],
                 "times": r["times"], "hits": r["hits"]} for r in S.rules]})
        if m == "DELETE":
            S.rules.clear()
            return send_json(conn, req, 200, ok)
        if m == "POST":
            try:
                spec = json.loads(req.body)
                specs = spec if isinstance(spec, list) else [spec]
                ids = [add_rule(s) for s in specs]
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                return send_json(conn, req, 400, {"error": "bad rule: %s" % e})
            return send_json(conn, req, 200, {"ok": True, "ids": ids,
                                              "id": ids[-1] if ids else None,
                                              "rules": len(S.rules)})
    elif path == "/__mock/hooks":
        # GET: what the webhook receiver got (?name=); DELETE: forget it;
        # POST {"name","times","status","body"}: answer status (500) with
        # body to the next times calls of /__hook/<name>; {"name",
        # "delay_ms"}: answer its calls that much later
        if m in ("GET", "HEAD"):
            name = query_args(req).get("name")
            return send_json(conn, req, 200, {"hooks": [
                h for h in S.hooks if name is None or h["name"] == name]})
        if m == "DELETE":
            S.hooks.clear()
            S.hook_fail.clear()
            S.hook_delay.clear()
            return send_json(conn, req, 200, ok)
        if m == "POST":
            try:
                spec = json.loads(req.body)
                name = str(spec["name"])
                if "delay_ms" in spec:
                    S.hook_delay[name] = int(spec["delay_ms"]) / 1000.0
                if "times" in spec or "status" in spec:
                    S.hook_fail[name] = {
                        "times": int(spec.get("times", 1)),
                        "status": int(spec.get("status", 500)),
                        "body": spec.get("body", {"ok": False})}
            except (ValueError, TypeError, KeyError, AttributeError) as e:
                return send_json(conn, req, 400, {"error": "bad hook: %s" % e})
            return send_json(conn, req, 200, ok)
    elif path == "/__mock/reset":
        if m in ("POST", "DELETE"):
            S.rules.clear()
            S.records.clear()
            S.rec_next = 0
            reset_stats()
            return send_json(conn, req, 200, ok)
    else:
        return send_json(conn, req, 404, {"error": "unknown mock control path"})
    return send_json(conn, req, 405, {"error": "method not allowed"})


def reset_stats():
    S.max_inflight = {k: v for k, v in S.inflight.items() if v}
    S.total = {}
    S.requests = 0
    S.inflight = {k: v for k, v in S.inflight.items() if v}


def add_rule(spec):
    if not isinstance(spec, dict):
        raise ValueError("rule must be an object")
    match = spec.get("match") or {}
    if not isinstance(match, dict):
        raise ValueError("match must be an object")
    xm = spec.get("x-mock", spec.get("xmock", ""))
    if not isinstance(xm, str):
        raise ValueError("x-mock must be a string")
    times = spec.get("times")
    if times is not None and (not isinstance(times, int) or times <= 0):
        raise ValueError("times must be a positive integer")
    header = match.get("header")
    value = match.get("value")
    if header is not None and not isinstance(header, str):
        raise ValueError("match.header must be a string")
    if value is not None and not isinstance(value, str):
        raise ValueError("match.value must be a string")
    S.rule_seq += 1
    S.rules.append({"id": S.rule_seq, "match": match,
                    "header": header.lower() if header else None,
                    "value": value, "path": match.get("path"),
                    "xmock": xm, "opts": dict(parse_xmock(xm)),
                    "times": times, "hits": 0})
    return S.rule_seq


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------


def parse_listen(s):
    if s.startswith("["):
        host, _, port = s[1:].partition("]:")
    else:
        host, _, port = s.rpartition(":")
    if not host:
        host = "0.0.0.0"
    return host, int(port)


async def amain(args):
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):
            pass
    loop.set_exception_handler(lambda lp, ctx: log("loop: %s" % ctx.get("message")))
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)   # no per-write warnings
    servers = []
    ready = []
    for spec in args.listen:
        host, port = parse_listen(spec)
        srv = await loop.create_server(Conn, host, port, backlog=4096, reuse_address=True)
        servers.append(srv)
        for sock in srv.sockets:
            a = sock.getsockname()
            h = a[0] if sock.family == socket.AF_INET else "[%s]" % a[0]
            ready.append("%s:%d" % (h, a[1]))
    for a in ready:
        sys.stdout.write("mock-upstream ready %s\n" % a)
    sys.stdout.flush()
    log("listening on %s" % " ".join(ready))
    await stop.wait()
    log("shutting down")
    for srv in servers:
        srv.close()
    for c in list(S.conns):
        try:
            c.t.abort()
        except Exception:
            pass
    await asyncio.sleep(0)


def main():
    global MAX_BODY, MAX_RECORDS, RECORD_BODY_MAX
    ap = argparse.ArgumentParser(description="QuotaLane mock AI upstream")
    ap.add_argument("--listen", action="append", required=True,
                    help="HOST:PORT to listen on (repeatable; port 0 = ephemeral)")
    ap.add_argument("--log", help="append a line per request/event to FILE")
    ap.add_argument("--max-body", type=int, default=MAX_BODY,
                    help="max request body bytes (default %(default)s)")
    ap.add_argument("--max-records", type=int, default=MAX_RECORDS,
                    help="request ring size (default %(default)s)")
    ap.add_argument("--record-body-max", type=int, default=RECORD_BODY_MAX,
                    help="recorded body truncation (default %(default)s)")
    args = ap.parse_args()
    MAX_BODY = args.max_body
    RECORD_BODY_MAX = args.record_body_max
    if args.max_records != MAX_RECORDS:
        MAX_RECORDS = args.max_records
        S.records = collections.deque(maxlen=MAX_RECORDS)
    if args.log:
        S.log = open(args.log, "a", buffering=1)
    try:
        import resource
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except Exception:
        pass
    try:
        import uvloop  # optional
        uvloop.install()
    except Exception:
        pass
    try:
        asyncio.run(amain(args))
    except KeyboardInterrupt:
        pass
    except OSError as e:
        sys.stderr.write("mock-upstream: %s\n" % e)
        sys.exit(1)
    sys.exit(0)


if __name__ == "__main__":
    main()
