"""Small real attachment bodies (text, CSV, PNG, PDF), stored once in ``state.blobs`` by sha256."""

from __future__ import annotations

import hashlib
import struct
import zlib

from jiraemu.state import State


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def _pdf(text: str) -> bytes:
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


# (filename, mime type, body)
SAMPLES: tuple[tuple[str, str, bytes], ...] = (
    ("server.log", "text/plain",
     b"2026-01-02 03:04:05,678 ERROR [sync-worker-3] Connection reset by peer\n"
     b"2026-01-02 03:04:06,001 WARN  [sync-worker-3] retrying in 2s (attempt 2/5)\n"),
    ("notes.txt", "text/plain", "Checklist:\n- reproduce on staging\n- attach HAR file\n- ping Zoë\n".encode()),
    ("export.csv", "text/csv", b"id,name,status,amount\n1,Alpha,active,12.50\n2,Beta,churned,0\n3,\"Gamma, Inc.\",active,99.99\n"),
    ("metrics.csv", "text/csv", b"timestamp,p50_ms,p99_ms\n1700000000,41,230\n1700000060,39,512\n"),
    ("screenshot.png", "image/png", _png(8, 6, (220, 40, 60))),
    ("diagram.png", "image/png", _png(4, 4, (30, 120, 200))),
    ("report.pdf", "application/pdf", _pdf("Quarterly incident report")),
    ("spec.pdf", "application/pdf", _pdf("Integration specification v2")),
)


def register_samples(state: State) -> list[tuple[str, str, int, str]]:
    """Store the sample bodies; returns (filename, mime, size, sha256) per sample."""
    out = []
    for filename, mime, body in SAMPLES:
        digest = hashlib.sha256(body).hexdigest()
        state.blobs[digest] = body
        out.append((filename, mime, len(body), digest))
    return out
