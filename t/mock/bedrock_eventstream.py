"""AWS event-stream framing (application/vnd.amazon.eventstream), as
Bedrock's invoke-with-response-stream sends it, for the mock Bedrock.

A message: total length (u32), headers length (u32), CRC32 of those 8
bytes; the headers (name length u8, name, type 7 = string: u16 length
and bytes); the payload; CRC32 of everything before it.  Big-endian.
"""

import base64
import json
import struct
import zlib


def encode_message(headers, payload):
    h = b""
    for name, value in headers.items():
        n, v = name.encode(), value.encode()
        h += struct.pack(">B", len(n)) + n + b"\x07" + struct.pack(">H", len(v)) + v
    total = 12 + len(h) + len(payload) + 4
    prelude = struct.pack(">II", total, len(h))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    msg = prelude + h + payload
    return msg + struct.pack(">I", zlib.crc32(msg))


def chunk_event(anthropic_event):
    """One Anthropic streaming event as Bedrock's chunk event."""
    data = json.dumps(anthropic_event, separators=(",", ":")).encode()
    payload = json.dumps({"bytes": base64.b64encode(data).decode(),
                          "p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"[
                              :len(data) % 32]}).encode()
    return encode_message({":event-type": "chunk",
                           ":content-type": "application/json",
                           ":message-type": "event"}, payload)


def exception_event(name, message):
    return encode_message({":exception-type": name,
                           ":content-type": "application/json",
                           ":message-type": "exception"},
                          json.dumps({"message": message}).encode())


def decode_messages(data):
    """[(headers, payload)], checking both CRCs; raises ValueError."""
    out, i = [], 0
    while i < len(data):
        total, hlen, pcrc = struct.unpack(">III", data[i:i + 12])
        if zlib.crc32(data[i:i + 8]) != pcrc:
            raise ValueError("prelude crc")
        msg = data[i:i + total]
        if zlib.crc32(msg[:-4]) != struct.unpack(">I", msg[-4:])[0]:
            raise ValueError("message crc")
        headers, j = {}, 12
        while j < 12 + hlen:
            n = msg[j]
            name = msg[j + 1:j + 1 + n].decode()
            j += 1 + n
            if msg[j] != 7:
                raise ValueError("header type %d" % msg[j])
            (vlen,) = struct.unpack(">H", msg[j + 1:j + 3])
            headers[name] = msg[j + 3:j + 3 + vlen].decode()
            j += 3 + vlen
        out.append((headers, msg[12 + hlen:-4]))
        i += total
    return out
