"""How an issue is marked as ours: the label ``<prefix>-eid-<encoded id>`` and the issue property
``jirasync.push`` (``{externalId, hash, fields, status, comments}``).

Labels may not contain spaces and are at most 255 characters; JQL compares them without regard to
case. So the encoding keeps ``[a-z0-9.-]`` and escapes every other character as ``_xx`` (UTF-8
bytes in lowercase hex): distinct ids give distinct labels even case-insensitively, and the label
decodes back to the id. An id whose encoding does not fit is labelled ``_h`` + a SHA-256 digest
(``_h`` is never produced by the escape); such labels do not decode, the property holds the id.
"""

from __future__ import annotations

import hashlib
import re

PROPERTY_KEY = "jirasync.push"
MAX_LABEL = 255
_PLAIN = re.compile(r"[a-z0-9.-]")
_PREFIX = re.compile(r"[a-z0-9][a-z0-9.-]{0,39}")


def check_prefix(prefix: str) -> str:
    if not _PREFIX.fullmatch(prefix or ""):
        from jirasync.exceptions import ConfigError

        raise ConfigError("prefix", f"{prefix!r} is not a label prefix", fix="use 1-40 of a-z, 0-9, '.', '-'")
    return prefix


def encode_id(external_id: str) -> str:
    return "".join(ch if _PLAIN.fullmatch(ch) else "".join(f"_{b:02x}" for b in ch.encode()) for ch in external_id)


def decode_id(encoded: str) -> str | None:
    if encoded.startswith("_h"):
        return None
    out = bytearray()
    i = 0
    while i < len(encoded):
        if encoded[i] == "_":
            out.append(int(encoded[i + 1 : i + 3], 16))
            i += 3
        else:
            out.extend(encoded[i].encode())
            i += 1
    return out.decode()


def eid_label(prefix: str, external_id: str) -> str:
    head = f"{prefix}-eid-"
    encoded = encode_id(external_id)
    if len(head) + len(encoded) <= MAX_LABEL:
        return head + encoded
    return head + "_h" + hashlib.sha256(external_id.encode()).hexdigest()


def id_of_label(prefix: str, label: str) -> str | None:
    """The external id a label names (``None`` for another label or a hashed one)."""
    head = f"{prefix}-eid-"
    return decode_id(label[len(head) :]) if label.startswith(head) else None
