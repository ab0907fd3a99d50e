#!/usr/bin/env python3
"""The admin API reference, generated from the compiled proto contract.

    api_reference.py markdown DESCRIPTOR.pb > docs/API.md
    api_reference.py json DESCRIPTOR.pb        (routes and messages)

DESCRIPTOR.pb is a FileDescriptorSet written by
    protoc --include_imports --include_source_info --descriptor_set_out=...
(scripts/api-docs.sh).  It is decoded here with the standard library
only: the protobuf wire format is small, and only the descriptor fields
the reference shows are read (field numbers from descriptor.proto).  The
HTTP rules and access options are extensions, which a plain decoder sees
as ordinary fields of MethodOptions.
"""

import json
import sys

# descriptor.proto field types
TYPE_NAMES = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32",
    6: "fixed64", 7: "fixed32", 8: "bool", 9: "string", 12: "bytes",
    13: "uint32", 15: "sfixed32", 16: "sfixed64", 17: "sint32",
    18: "sint64",
}
TYPE_MESSAGE = 11
TYPE_ENUM = 14
LABEL_REPEATED = 3

# proto3 JSON: these go out as strings
INT64_TYPES = {"int64", "uint64", "fixed64", "sfixed64", "sint64"}

# extension numbers (google/api/*.proto, quotalane/v1/options.proto)
EXT_HTTP = 72295728
EXT_FIELD_BEHAVIOR = 1052
EXT_ACCESS = 51001

HTTP_METHODS = {2: "GET", 3: "PUT", 4: "POST", 5: "DELETE", 6: "PATCH"}
BEHAVIORS = {1: "optional", 2: "required", 3: "output only",
             4: "write only", 5: "immutable"}
ACCESS = {1: "public", 2: "user", 3: "admin"}

WELL_KNOWN = {
    ".google.protobuf.Timestamp": "timestamp (RFC 3339 string)",
    ".google.protobuf.Empty": "empty",
    ".google.protobuf.Struct": "object",
    ".google.protobuf.Value": "any JSON value",
    ".google.protobuf.ListValue": "array",
}


def varint(buf, pos):
    result = shift = 0
    while True:
        if pos >= len(buf):
            raise ValueError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def fields(buf):
    """(number, value) pairs: ints for varints and fixed, bytes for LEN."""
    pos, out = 0, []
    while pos < len(buf):
        key, pos = varint(buf, pos)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, pos = varint(buf, pos)
        elif wt == 1:
            v, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wt == 2:
            n, pos = varint(buf, pos)
            v, pos = bytes(buf[pos:pos + n]), pos + n
        elif wt == 5:
            v, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ValueError("unsupported wire type %d" % wt)
        out.append((num, v))
    return out


def one(fs, num, default=None):
    for n, v in fs:
        if n == num:
            return v
    return default


def many(fs, num):
    return [v for n, v in fs if n == num]


def text(fs, num, default=""):
    v = one(fs, num)
    return v.decode("utf-8") if v is not None else default


def packed_ints(values):
    """A repeated varint field, packed (bytes) or not (ints)."""
    out = []
    for v in values:
        if isinstance(v, bytes):
            pos = 0
            while pos < len(v):
                x, pos = varint(v, pos)
                out.append(x)
        else:
            out.append(v)
    return out


def json_name(name):
    parts = name.split("_")
    return parts[0] + "".join(p[:1].upper() + p[1:] for p in parts[1:])


class Comments:
    """Leading/trailing comments by descriptor path (SourceCodeInfo)."""

    def __init__(self, info):
        self.by_path = {}
        self.detached = {}
        if info is None:
            return
        for loc in many(fields(info), 1):
            lf = fields(loc)
            path = tuple(packed_ints(many(lf, 1)))
            parts = [text(lf, 3).strip(), text(lf, 4).strip()]
            self.by_path[path] = "\n".join(p for p in parts if p)
            self.detached[path] = [d.decode("utf-8").strip()
                                   for d in many(lf, 6)]

    def get(self, *path):
        return self.by_path.get(tuple(path), "")


def parse_http(raw):
    rule = fields(raw)
    out = []
    for num, method in HTTP_METHODS.items():
        path = one(rule, num)
        if path is not None:
            out.append({"method": method, "path": path.decode(),
                        "body": text(rule, 7)})
    custom = one(rule, 8)
    if custom is not None:
        cf = fields(custom)
        out.append({"method": text(cf, 1), "path": text(cf, 2),
                    "body": text(rule, 7)})
    for extra in many(rule, 11):
        out.extend(parse_http(extra))
    return out


def parse_message(raw, prefix, comments, path, messages):
    mf = fields(raw)
    name = text(mf, 1)
    full = prefix + "." + name
    msg = {"name": name, "full": full, "doc": comments.get(*path),
           "fields": []}
    for i, fraw in enumerate(many(mf, 2)):
        ff = fields(fraw)
        ftype = one(ff, 5)
        opts = fields(one(ff, 8, b""))
        behavior = [BEHAVIORS.get(b, str(b))
                    for b in packed_ints(many(opts, EXT_FIELD_BEHAVIOR))]
        msg["fields"].append({
            "name": text(ff, 1),
            "json": text(ff, 10) or json_name(text(ff, 1)),
            "number": one(ff, 3),
            "repeated": one(ff, 4) == LABEL_REPEATED,
            "type": TYPE_NAMES.get(ftype, ""),
            "type_name": text(ff, 6) if ftype in (TYPE_MESSAGE, TYPE_ENUM)
                         else "",
            "behavior": behavior,
            "doc": comments.get(*(path + (2, i))),
        })
    messages[full] = msg
    for i, nraw in enumerate(many(mf, 3)):
        parse_message(nraw, full, comments, path + (3, i), messages)


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    files, messages, services = [], {}, []
    for fraw in many(fields(data), 1):
        ff = fields(fraw)
        fname, package = text(ff, 1), text(ff, 2)
        comments = Comments(one(ff, 9))
        files.append({"name": fname, "package": package,
                      "doc": "\n\n".join(comments.detached.get((12,), []))})
        for i, mraw in enumerate(many(ff, 4)):
            parse_message(mraw, "." + package, comments, (4, i), messages)
        for si, sraw in enumerate(many(ff, 6)):
            sf = fields(sraw)
            svc = {"name": text(sf, 1), "file": fname, "package": package,
                   "doc": comments.get(6, si), "methods": []}
            for mi, mraw in enumerate(many(sf, 2)):
                mf = fields(mraw)
                opts = fields(one(mf, 4, b""))
                http = one(opts, EXT_HTTP)
                svc["methods"].append({
                    "name": text(mf, 1),
                    "input": text(mf, 2),
                    "output": text(mf, 3),
                    "doc": comments.get(6, si, 2, mi),
                    "access": ACCESS.get(one(opts, EXT_ACCESS, 0), ""),
                    "http": parse_http(http) if http else [],
                })
            services.append(svc)
    return files, messages, services


def own(files):
    """The packages of our own files (not the imported ones)."""
    return {f["package"] for f in files
            if f["package"] and not f["package"].startswith("google.")}


def routes(files, services):
    pkgs = own(files)
    out = []
    for svc in services:
        if svc["package"] not in pkgs:
            continue
        for m in svc["methods"]:
            for h in m["http"]:
                out.append({"method": h["method"], "path": h["path"],
                            "body": h["body"], "service": svc["name"],
                            "rpc": m["name"], "access": m["access"],
                            "request": m["input"].lstrip("."),
                            "response": m["output"].lstrip(".")})
    return out


def dump_json(files, messages, services):
    pkgs = own(files)
    msgs = {}
    for full, m in messages.items():
        if full.lstrip(".").rsplit(".", 1)[0] not in pkgs:
            continue
        msgs[full.lstrip(".")] = [
            {"name": f["name"], "json": f["json"],
             "type": f["type"] or f["type_name"].lstrip("."),
             "repeated": f["repeated"], "behavior": f["behavior"]}
            for f in m["fields"]]
    json.dump({"routes": routes(files, services), "messages": msgs},
              sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


# ---- Markdown ----

def anchor(full):
    return full.lstrip(".").replace(".", "").lower()


def short(full):
    return full.rsplit(".", 1)[-1]


def type_cell(f, messages):
    if f["type_name"]:
        tn = f["type_name"]
        if tn in WELL_KNOWN:
            t = WELL_KNOWN[tn]
        elif tn in messages:
            t = "[%s](#%s)" % (short(tn), anchor(tn))
        else:
            t = short(tn)
    elif f["type"] in INT64_TYPES:
        t = "%s (string)" % f["type"]
    else:
        t = f["type"]
    return "list of " + t if f["repeated"] else t


def cell(s):
    return " ".join(s.split()).replace("|", "\\|")


def para(s):
    """A comment as Markdown paragraphs (blank lines kept)."""
    return "\n".join(line.strip() for line in s.strip().splitlines())


def path_params(path):
    out, rest = [], path
    while "{" in rest:
        rest = rest[rest.index("{") + 1:]
        out.append(rest[:rest.index("}")])
    return out


def markdown(files, messages, services):
    pkgs = own(files)
    out = []
    w = out.append

    w("# QuotaLane admin API reference")
    w("")
    w("<!-- Generated by scripts/api-docs.sh (make api-docs) from "
      "proto/quotalane/v1/*.proto. Do not edit: change the .proto files "
      "and regenerate; t/070-api-contract.t fails when this file is "
      "stale. -->")
    w("")
    w("admind serves this API over HTTP/JSON (default "
      "`http://127.0.0.1:8081`).  The contract is the proto files in "
      "`proto/quotalane/v1/`; each RPC maps to one or more routes through "
      "its `google.api.http` option, and its `access` option says who "
      "may call it:")
    w("")
    w("- **public**: no token;")
    w("- **user**: any signed-in user (`Authorization: Bearer <token>` "
      "from `POST /api/v1/auth/login`); a user sees and changes only "
      "their own data;")
    w("- **admin**: the admin role only (others get 403 `forbidden`).")
    w("")

    for f in files:
        if f["package"] in pkgs and f["name"].endswith("/common.proto"):
            w("## Conventions")
            w("")
            # the file comment without its first paragraph, the title
            w(para(f["doc"].split("\n\n", 1)[-1]))
            w("")
            w("Every error answer is an "
              "[ErrorResponse](#quotalanev1errorresponse); its codes are "
              "listed under [Error](#quotalanev1error).")
            w("")

    w("## Routes")
    w("")
    w("| Method | Path | Access | RPC |")
    w("|---|---|---|---|")
    for r in routes(files, services):
        w("| %s | `%s` | %s | [%s.%s](#%s) |" % (
            r["method"], r["path"], r["access"], r["service"], r["rpc"],
            (r["service"] + r["rpc"]).lower()))
    w("")

    used = set()
    for svc in services:
        if svc["package"] not in pkgs:
            continue
        w("## %s" % svc["name"])
        w("")
        if svc["doc"]:
            w(para(svc["doc"]))
            w("")
        for m in svc["methods"]:
            w('<a id="%s"></a>' % (svc["name"] + m["name"]).lower())
            w("")
            w("### %s" % m["name"])
            w("")
            for h in m["http"]:
                w("`%s %s`  " % (h["method"], h["path"]))
            w("")
            w("Access: **%s**" % (m["access"] or "unspecified"))
            w("")
            if m["doc"]:
                w(para(m["doc"]))
                w("")
            req = messages.get(m["input"])
            h = m["http"][0] if m["http"] else {"body": "", "path": ""}
            params = path_params(h["path"])
            if params:
                w("Path parameters: " + ", ".join(
                    "`%s`" % json_name(p) for p in params))
                w("")
            if req is not None:
                body = h["body"]
                if body == "*":
                    w("Request body: [%s](#%s)" % (short(m["input"]),
                                                   anchor(m["input"])))
                    used.add(m["input"])
                elif body:
                    bf = [f for f in req["fields"] if f["name"] == body]
                    if bf:
                        tn = bf[0]["type_name"]
                        w("Request body: [%s](#%s)" % (short(tn),
                                                       anchor(tn)))
                        used.add(tn)
                else:
                    query = [f for f in req["fields"]
                             if f["name"] not in params]
                    if query:
                        w("Query parameters:")
                        w("")
                        w("| Name | Type | Description |")
                        w("|---|---|---|")
                        for f in query:
                            w("| `%s` | %s | %s |" % (
                                f["json"], type_cell(f, messages),
                                cell(f["doc"])))
                if out[-1] != "":
                    w("")
            if m["output"] in WELL_KNOWN:
                w("Response: no body (204)" if m["output"]
                  == ".google.protobuf.Empty" else
                  "Response: " + WELL_KNOWN[m["output"]])
            else:
                w("Response: [%s](#%s)" % (short(m["output"]),
                                           anchor(m["output"])))
                used.add(m["output"])
            w("")

    w("## Messages")
    w("")
    for full in sorted(messages, key=lambda k: short(k).lower()):
        if full.lstrip(".").rsplit(".", 1)[0] not in pkgs:
            continue
        m = messages[full]
        # path-and-body wrappers of updates are described by their routes
        if full not in used and (short(full).endswith("Request")):
            continue
        w('<a id="%s"></a>' % anchor(full))
        w("")
        w("### %s" % short(full))
        w("")
        if m["doc"]:
            w(para(m["doc"]))
            w("")
        if not m["fields"]:
            w("No fields.")
            w("")
            continue
        w("| Field | Type | Behavior | Description |")
        w("|---|---|---|---|")
        for f in m["fields"]:
            w("| `%s` | %s | %s | %s |" % (
                f["json"], type_cell(f, messages), ", ".join(f["behavior"]),
                cell(f["doc"])))
        w("")

    return "\n".join(out).rstrip("\n") + "\n"


def main(argv):
    if len(argv) != 3 or argv[1] not in ("markdown", "json"):
        sys.stderr.write(__doc__)
        return 2
    files, messages, services = load(argv[2])
    if argv[1] == "json":
        dump_json(files, messages, services)
    else:
        sys.stdout.write(markdown(files, messages, services))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
