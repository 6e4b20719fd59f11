"""Hostile email messages, for the parser's fuzz test and bench/fuzz_parse.py.

`make(kind, rng)` builds one message of a kind from a `random.Random`: the fuzz test draws the
Random from hypothesis (so a failure is reproducible and shrinks), the bench from a seed.
`LARGE` builds the ~30 MB messages the bench times.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

CRLF = b"\r\n"

#: pieces that break header and parameter parsers
JUNK = [
    b"\x00", b"\xff", b"\xfe\xff", b"\xc3\xa9", b"\xe9", b"\x80", b"=?utf-8?q?=C3=A9?=", b"=?x-bad?b?###?=", b"=?utf-8?b?", b"?=",
    b"(", b")", b"((((", b'"', b"\\", b"<", b">", b"@", b",", b";", b"=", b"*0*=", b"*1=", b"'", b"''", b"%", b"%ZZ",
    b"\r\n ", b"\r\n\t", b"\r", b"\n", b" ", b"\t", b"charset=", b"boundary=", b"multipart/mixed", b"text/html",
    b"text/plain", b"message/rfc822", b"utf-8", b"punycode", b"base64", b"quoted-printable", b"a", b"x@probe.test", b":",
]
CHARSETS = [
    "utf-8", "us-ascii", "utf-16", "utf-32", "utf-7", "punycode", "idna", "base64", "zlib", "rot13", "undefined",
    "unicode_escape", "raw_unicode_escape", "cp037", "iso-2022-jp", "gb18030", "x-unknown", "", " ", "utf\x00-8",
    "\x00", "utf-8\x00", "'", "utf-8''", "../../etc/passwd", "encodings", "aliases", "latin1\r\n", "utf8" * 40,
]
ENCODINGS = ["base64", "quoted-printable", "7bit", "8bit", "binary", "x-uuencode", "uuencode", "x-unknown", "", "BASE64 (x)"]
HOSTILE_HTML = [
    '<a href="', "<", "<!", "<!--", "<div>", "<p>x", "<b>", "<blockquote>", '<div class="gmail_quote">', "&", "&#0;",
    "&#x10ffff;", "<table><tr><td>", "<script>", "<style>", "\x00", "<textarea>", "<![CDATA[", "</ x>", "<?x", "<svg><math>",
]
BASE_REPLY = (
    b"From: Support Team <help@shop.test>\r\n"
    b"To: Ann Lee <ann.lee@probe.mysteryshop.test>\r\n"
    b"Subject: Re: Can I return my order?\r\n"
    b"Message-ID: <reply-1@shop.test>\r\n"
    b"In-Reply-To: <ask-1@probe.mysteryshop.test>\r\n"
    b"References: <ask-1@probe.mysteryshop.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/alternative; boundary="b1"\r\n'
    b"\r\n"
    b"--b1\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Hi Ann, yes: returns within 30 days are free. =E2=80=94 Bo\r\n"
    b"--b1\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n"
    b"\r\n"
    b"<p>Hi Ann, yes: returns within 30 days are free.</p><blockquote>Can I return it?</blockquote>\r\n"
    b"--b1--\r\n"
)


def junk(rng: random.Random, pieces: int = 12) -> bytes:
    return b"".join(rng.choice(JUNK) if rng.random() < 0.8 else rng.randbytes(rng.randint(1, 8)) for _ in range(rng.randint(0, pieces)))


def _headers(rng: random.Random, content_type: bytes) -> bytes:
    return (b"From: help@shop.test\r\nTo: ann@probe.mysteryshop.test\r\nSubject: Re: hi\r\n"
            b"Message-ID: <m%d@shop.test>\r\nContent-Type: " % rng.randint(0, 10**6) + content_type + CRLF)


def random_bytes(rng: random.Random) -> bytes:
    raw = rng.randbytes(rng.choice([0, 1, 10, 100, 1000, 5000]))
    return raw if rng.random() < 0.5 else raw.replace(b"\x0a", CRLF).replace(b"\x3a", b": ")


def mutated_headers(rng: random.Random) -> bytes:
    head, _, body = BASE_REPLY.partition(b"\r\n\r\n")
    lines = head.split(CRLF)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(lines))
        name, _, value = lines[i].partition(b": ")
        choice = rng.random()
        if choice < 0.4:
            value = value + junk(rng)
        elif choice < 0.6:
            cut = rng.randint(0, len(value))
            value = value[:cut] + junk(rng) + value[cut:]
        elif choice < 0.75:
            value = junk(rng, 30)
        elif choice < 0.85:
            name = junk(rng, 3) or b"X"
        else:
            lines.insert(i, rng.choice([b"", b" folded", b"no colon", b":", b"\x00: \x00"]))
            continue
        lines[i] = name + b": " + value
    return CRLF.join(lines) + b"\r\n\r\n" + body


def charset_junk(rng: random.Random) -> bytes:
    charset = junk(rng, 6) or b"\x00"
    param = rng.choice([b'charset="%s"', b"charset=%s", b"charset*=%s''x", b"charset*0*=%s", b"CHARSET = %s"]) % charset
    ctype = rng.choice([b"text/plain", b"text/html"]) + b"; " + param
    body = rng.choice([b"hello \xe9\xff\x00 there", "grüße".encode(), b"<p>hi</p>", rng.randbytes(50)])
    if rng.random() < 0.5:
        return _headers(rng, ctype) + CRLF + body + CRLF
    return (_headers(rng, b'multipart/alternative; boundary="zz"') + CRLF + b"--zz\r\nContent-Type: " + ctype + b"\r\n\r\n"
            + body + b"\r\n--zz--\r\n")


def lying_charset(rng: random.Random) -> bytes:
    charset = rng.choice(CHARSETS).encode("utf-8", "surrogateescape")
    ctype = rng.choice([b"text/plain", b"text/html"]) + b'; charset="' + charset + b'"'
    body = rng.choice([b"abc" * rng.randint(1, 2000) + b"-" + b"ba" * rng.randint(1, 2000), rng.randbytes(rng.randint(0, 3000)),
                       "日本語のテキスト".encode(), b"+AGEAYgBj-", b"\\u12\\x\\N{nope}"])
    cte = rng.choice([b"", b"Content-Transfer-Encoding: 8bit\r\n", b"Content-Transfer-Encoding: base64\r\n"])
    if cte.endswith(b"base64\r\n"):
        body = base64.encodebytes(body)
    return _headers(rng, ctype) + cte + CRLF + body


DEEP_KINDS = [[b"multipart/mixed"], [b"message/rfc822"], [b"multipart/mixed", b"message/rfc822"], [b"multipart/digest"]]


def deep_multipart(rng: random.Random, depth: int | None = None, *, kinds: list[bytes] | None = None, same: bool | None = None) -> bytes:
    """Multiparts (or attached messages) nested `depth` deep, a text part at the bottom; `same`: one boundary for every level."""
    depth = depth if depth is not None else rng.randint(50, 3000)
    same = same if same is not None else rng.random() < 0.3
    close = rng.random() < 0.7
    kinds = kinds or rng.choice(DEEP_KINDS)
    out = [b"From: help@shop.test\r\nTo: ann@probe.mysteryshop.test\r\nSubject: Re: hi\r\nMessage-ID: <deep@shop.test>\r\n"]
    open_boundaries: list[bytes] = []
    for level in range(depth):  # each level writes the end of a header block and the start of the next one
        kind = kinds[level % len(kinds)]
        if kind == b"message/rfc822":
            out.append(b"Content-Type: message/rfc822\r\n\r\nSubject: level %d\r\n" % level)
            continue
        boundary = b"b0" if same else b"b%d" % level
        out.append(b"Content-Type: " + kind + b"; boundary=" + boundary + b"\r\n\r\n--" + boundary + CRLF)
        open_boundaries.append(boundary)
    out.append(b"Content-Type: text/plain\r\n\r\nthe bottom\r\n")
    if close:
        out.extend(b"--" + b + b"--\r\n" for b in reversed(open_boundaries))
    return b"".join(out)


def bad_transfer_encoding(rng: random.Random) -> bytes:
    cte = rng.choice(ENCODINGS).encode()
    body = rng.choice([
        b"SGVsbG8gd29ybGQ",  # no padding
        b"SGVsbG8=====gd29y!!!bGQ=\r\n####\r\n",
        b"=\r\n=ZZ=4=\r\n=E2=80\r\n" * rng.randint(1, 200),
        b"begin 644 x\r\n#0V%T\r\nend\r\n",
        b"begin 644\r\n" + rng.randbytes(200) + b"\r\n",
        rng.randbytes(rng.randint(0, 2000)),
        base64.encodebytes(rng.randbytes(300))[: rng.randint(0, 400)],
    ])
    ctype = rng.choice([b"text/plain; charset=utf-8", b"text/html", b"application/pdf"])
    if rng.random() < 0.5:
        return _headers(rng, ctype) + b"Content-Transfer-Encoding: " + cte + b"\r\n\r\n" + body
    return (_headers(rng, b"multipart/mixed; boundary=q") + b"\r\n--q\r\nContent-Type: " + ctype
            + b"\r\nContent-Transfer-Encoding: " + cte + b"\r\n\r\n" + body + b"\r\n--q--\r\n")


def eight_bit_headers(rng: random.Random) -> bytes:
    def eight_bit() -> bytes:
        return bytes(rng.randint(0x80, 0xFF) for _ in range(rng.randint(1, 20)))

    return (b"From: " + eight_bit() + b" <h" + eight_bit() + b"@shop.test>\r\nTo: " + eight_bit() + b"@probe.mysteryshop.test\r\n"
            b"Subject: " + eight_bit() + b" " + "Grüße".encode("latin-1") + b"\r\nMessage-ID: <" + eight_bit() + b"@x>\r\n"
            b"In-Reply-To: <" + eight_bit() + b">\r\nContent-Type: text/plain; charset=" + eight_bit() + b"\r\n\r\n" + eight_bit() + CRLF)


def odd_boundaries(rng: random.Random) -> bytes:
    boundary = rng.choice([b"", b" ", b'"', b"a b", b"(.*)+", b"\\", b"x" * 200, b"--", b"b\x00", b"\xff", junk(rng, 4)])
    param = rng.choice([b'; boundary="%s"', b"; boundary=%s", b"", b"; boundary*0=%s", b"; boundary=%s; boundary=other"])
    ctype = b"multipart/mixed" + (param % boundary if b"%s" in param else param)
    delimiter = rng.choice([boundary, b"other", b"", boundary + b" ", boundary[:1]])
    parts = [b"--" + delimiter + b"\r\nContent-Type: text/plain\r\n\r\npart %d\r\n" % i for i in range(rng.randint(0, 4))]
    end = rng.choice([b"--" + delimiter + b"--\r\n", b"", b"--" + delimiter + b"\r\n", b"--" + boundary + b"--junk\r\n"])
    return _headers(rng, ctype) + CRLF + rng.choice([b"", b"preamble\r\n"]) + b"".join(parts) + end


def huge_header(rng: random.Random, size: int | None = None) -> bytes:
    size = size if size is not None else rng.choice([1000, 70_000, 300_000])
    name = rng.choice([b"Subject", b"To", b"From", b"X-Junk", b"Content-Type", b"MIME-Version", b"References", b"Content-Disposition"])
    unit = rng.choice([b"a", b"a@b.c, ", b"=?utf-8?q?a?= ", b"(", b"a=b; ", b"a*0*=b; ", b"(a)", b"\r\n a", b"<a@b> ", b'"x" '])
    value = unit * (size // len(unit))
    return BASE_REPLY.replace(b"MIME-Version: 1.0\r\n", name + b": " + value + b"\r\nMIME-Version: 1.0\r\n", 1)


def hostile_html(rng: random.Random, size: int | None = None) -> bytes:
    size = size if size is not None else rng.choice([1000, 50_000, 300_000])
    unit = rng.choice(HOSTILE_HTML).encode("utf-8")
    return _headers(rng, b"text/html; charset=utf-8") + CRLF + unit * (size // len(unit))


def many_parts(rng: random.Random, count: int | None = None) -> bytes:
    count = count if count is not None else rng.choice([100, 2000])
    parts = [b"--p\r\nContent-Type: text/plain; name=\"f%d\"; charset=utf-8\r\nContent-Disposition: inline; filename*=utf-8''%%41%d\r\n\r\n%d\r\n"
             % (i, i, i) for i in range(count)]
    return _headers(rng, b"multipart/mixed; boundary=p") + CRLF + b"".join(parts) + b"--p--\r\n"


KINDS: dict[str, Callable[[random.Random], bytes]] = {
    "random bytes": random_bytes,
    "mutated headers": mutated_headers,
    "junk in charset": charset_junk,
    "unknown or lying charset": lying_charset,
    "deep multipart": deep_multipart,
    "bad base64 / quoted-printable": bad_transfer_encoding,
    "8-bit headers": eight_bit_headers,
    "odd boundaries": odd_boundaries,
    "huge header line": huge_header,
    "hostile html": hostile_html,
    "many parts": many_parts,
}


def make(kind: str, rng: random.Random) -> bytes:
    return KINDS[kind](rng)


MB = 1 << 20


def large(kind: str, size: int = 30 * MB) -> bytes:
    """A message of about `size` bytes whose bulk is one hostile shape."""
    head = b"From: help@shop.test\r\nTo: ann@probe.mysteryshop.test\r\nSubject: big\r\n"
    if kind == "empty lines":
        return head + CRLF + CRLF * (size // 2)
    if kind == "one line":
        return head + b"Content-Type: text/plain\r\n\r\n" + b"x" * size
    if kind == "html":
        return head + b"Content-Type: text/html\r\n\r\n" + b"<p>Hello <b>there</b> &amp; friends</p>\n" * (size // 41)
    if kind == "html one line":
        return head + b"Content-Type: text/html\r\n\r\n" + b"<p>x" * (size // 4)
    if kind == "attachment":
        blob = base64.encodebytes(random.Random(0).randbytes(size * 3 // 4)).replace(b"\n", CRLF)
        return (head + b"Content-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
                b"--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n" + blob + b"--zz--\r\n")
    if kind == "header line":
        return head + b"X-Junk: " + b"a" * size + b"\r\n\r\nbody\r\n"
    if kind == "plain text":
        return head + b"Content-Type: text/plain\r\n\r\n" + b"Thanks for waiting, we are on it.\r\n" * (size // 35)
    raise KeyError(kind)


LARGE = ["empty lines", "one line", "html", "html one line", "attachment", "header line", "plain text"]
