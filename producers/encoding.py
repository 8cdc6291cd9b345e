"""Settling a feed's character encoding before feedparser sees it.

When the bytes decode cleanly in the encoding the server declared (HTTP charset, else the
XML declaration, else UTF-8), they pass through untouched and feedparser does as it always
did. When they do not (the classic: windows-1251 served as UTF-8), the bytes are decoded
in the encoding that does fit — the XML declaration's, a few stray bytes replaced in
otherwise valid UTF-8, or what charset detection finds — and handed on as UTF-8 with the
declaration rewritten, plus a problem line saying what was wrong. Bytes nothing fits are a
clear error, never mojibake.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, b"\x00\x00\xfe\xff")
_STRAY_BYTES = 8  # a few broken sequences in UTF-8 are a glitch, not another encoding
# Legacy encodings news feeds are mislabelled with most; tried besides what detection says.
_LEGACY = ("cp1251", "koi8_r", "cp1252", "cp1250", "cp1253", "cp1254", "cp1256", "cp1257")
_WORD = re.compile(r"[^\W\d_]+")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decodes(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def settle_encoding(
    content: bytes, headers: dict[str, str]
) -> tuple[bytes, dict[str, str], str | None]:
    """(bytes, headers, problem) for feedparser; raise ``ValueError`` when nothing fits."""
    if not content or content.startswith(_BOMS) or content[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        return content, headers, None  # a BOM or UTF-16 is unambiguous; feedparser knows
    content_type = headers.get("content-type", "")
    match = _CHARSET.search(content_type)
    http = _codec(match.group(1)) if match else None
    decl = _XML_DECL.match(content[:512])
    xml = _codec(decl.group(1).decode("ascii")) if decl else None
    declared = http or xml or "utf-8"
    if declared not in ("utf-8", "ascii") and http is None:
        return content, headers, None  # an XML-declared legacy charset: feedparser's job
    if _decodes(content, declared) is not None:
        return content, headers, None

    text: str | None = None
    problem = ""
    if xml and xml != declared:
        text = _decodes(content, xml)
        problem = f"served as {declared} but the XML declaration's {xml} fits"
    if text is None and declared == "utf-8":
        lenient = content.decode("utf-8", errors="replace")
        bad = lenient.count("\ufffd") - content.decode("utf-8", "ignore").count("\ufffd")
        if 0 < bad <= max(_STRAY_BYTES, len(content) // 10_000):
            text = lenient
            problem = f"{bad} invalid UTF-8 sequences replaced with U+FFFD"
    if text is None:
        detected = _detect(content)
        if detected is not None:
            text = _decodes(content, detected)
            problem = f"declared {declared} but the bytes are {detected}"
    if text is None:
        raise ValueError(f"cannot decode: the bytes are not {declared} and no encoding fits")
    if decl is not None:
        start, end = decl.span(1)  # the declaration is ASCII: byte and character offsets agree
        text = text[:start] + "utf-8" + text[end:]
    mime = content_type.split(";")[0].strip() or "application/xml"
    return text.encode("utf-8"), {**headers, "content-type": f"{mime}; charset=utf-8"}, problem


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "?"


def plausibility(text: str) -> float:
    """Share of non-ASCII words that look like real words: in one script, cased like a word
    (not ``лНЯЙБЮ``, windows-1251 read as KOI8-R), and, if Latin, mostly plain letters
    (``Straße`` is plausible, ``Ěîńęâŕ`` is windows-1251 read as windows-1250)."""
    good = total = 0
    for word in _WORD.findall(text):
        wide = [c for c in word if ord(c) > 127]
        if not wide:
            continue
        total += 1
        scripts = {_script(c) for c in wide}
        cased = word.islower() or word.isupper() or word.istitle()
        if cased and len(scripts) == 1 and ("LATIN" not in scripts or len(wide) * 2 <= len(word)):
            good += 1
    return good / total if total else 0.0


def _detect(content: bytes) -> str | None:
    """The encoding under which the bytes read most like words; None if none decodes."""
    sample = content[:200_000]
    candidates = [m.encoding for m in charset_normalizer.from_bytes(sample)][:5]
    best: tuple[float, str] | None = None
    # The common legacy encodings first: on a tie they are the likelier.
    for name in dict.fromkeys([*_LEGACY, *candidates]):
        codec = _codec(name)
        text = _decodes(sample, codec) if codec else None
        if codec is None or text is None:
            continue
        score = plausibility(text)
        if best is None or score > best[0]:
            best = (score, codec)
    return best[1] if best else None
