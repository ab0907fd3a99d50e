"""AWS event-stream framing (application/vnd.amazon.eventstream), as
Bedrock's invoke-with-response-stream sends it, for the mock Bedrock.

A message: total length (u32), headers length (u32), CRC32 of those 8
bytes; the headers (name length u8, name, type 7 = string: u16 length
and bytes); the payload; CRC32 of everything before it.  Big-endian.

Run as a script, it writes sample_stream() to stdout: the fuzz seeds and
the C decoder's cross-check (t/unit/test_ql_eventstream.c) are made so.
"""

import base64
import json
import struct
import sys
import zlib


def encode_message(headers: dict, payload: bytes) -> bytes:
    """One message; headers are {name: str value}, in order."""
    h = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        h += struct.pack(">B", len(n)) + n
        h += b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(h) + len(payload) + 4
    prelude = struct.pack(">II", total, len(h))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + h + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def chunk_event(anthropic_event: dict) -> bytes:
    """One Anthropic streaming event as Bedrock's chunk event."""
    data = json.dumps(anthropic_event, separators=(",", ":")).encode()
    payload = json.dumps({"bytes": base64.b64encode(data).decode(),
                          "p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"[
                              :len(data) % 32]}).encode()
    return encode_message({":event-type": "chunk",
                           ":content-type": "application/json",
                           ":message-type": "event"}, payload)


def exception_event(name: str, message: str) -> bytes:
    """A stream exception (throttlingException, ...): {"message": ...}."""
    return encode_message({":exception-type": name,
                           ":content-type": "application/json",
                           ":message-type": "exception"},
                          json.dumps({"message": message}).encode())


# value type: (fixed length, how it reads); None: u16 length first
_TYPES = {0: (0, lambda v: True), 1: (0, lambda v: False),
          2: (1, lambda v: struct.unpack(">b", v)[0]),
          3: (2, lambda v: struct.unpack(">h", v)[0]),
          4: (4, lambda v: struct.unpack(">i", v)[0]),
          5: (8, lambda v: struct.unpack(">q", v)[0]),
          6: (None, bytes), 7: (None, lambda v: v.decode()),
          8: (8, lambda v: struct.unpack(">q", v)[0]), 9: (16, bytes)}


def _headers(h: bytes) -> dict:
    out, j = {}, 0
    while j < len(h):
        n = h[j]
        if n == 0 or j + 2 + n > len(h):
            raise ValueError("header name")
        name = h[j + 1:j + 1 + n].decode()
        j += 1 + n
        if h[j] not in _TYPES:
            raise ValueError("header type %d" % h[j])
        size, read = _TYPES[h[j]]
        j += 1
        if size is None:
            if j + 2 > len(h):
                raise ValueError("header value length")
            (size,) = struct.unpack(">H", h[j:j + 2])
            j += 2
        if j + size > len(h):
            raise ValueError("header value")
        out[name] = read(h[j:j + size])
        j += size
    return out


def decode_messages(data: bytes) -> list:
    """[(headers, payload)], checking both CRCs; raises ValueError."""
    out, i = [], 0
    while i < len(data):
        if len(data) - i < 16:
            raise ValueError("truncated prelude")
        total, hlen, pcrc = struct.unpack(">III", data[i:i + 12])
        if zlib.crc32(data[i:i + 8]) != pcrc:
            raise ValueError("prelude crc")
        if total < 16 or hlen > total - 16 or len(data) - i < total:
            raise ValueError("message length")
        msg = data[i:i + total]
        if zlib.crc32(msg[:-4]) != struct.unpack(">I", msg[-4:])[0]:
            raise ValueError("message crc")
        out.append((_headers(msg[12:12 + hlen]), msg[12 + hlen:-4]))
        i += total
    return out


def sample_stream() -> bytes:
    """A Bedrock stream of one short answer, as Bedrock ends it."""
    events = [
        {"type": "message_start", "message": {
            "id": "msg_bdrk_01", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 21, "output_tokens": 1}}},
        {"type": "content_block_start", "index": 0,
         "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "Hello \"there\"\n"}},
        {"type": "content_block_delta", "index": 0,
         "delta": {"type": "text_delta", "text": "caf\u00e9 \u2615"}},
        {"type": "content_block_stop", "index": 0},
        {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                            "stop_sequence": None},
         "usage": {"output_tokens": 7}},
        {"type": "message_stop", "amazon-bedrock-invocationMetrics": {
            "inputTokenCount": 21, "outputTokenCount": 7,
            "invocationLatency": 412, "firstByteLatency": 198}},
    ]
    return b"".join(chunk_event(e) for e in events)


if __name__ == "__main__":
    sys.stdout.buffer.write(sample_stream())
