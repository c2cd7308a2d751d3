"""A self-signed certificate for https://127.0.0.1 and https://localhost, made once and reused.

Kept in ``config.tls_dir`` (default ``.jiraemu/tls`` under the current directory) as ``cert.pem``
and ``key.pem``; clients trust it with e.g. ``httpx.Client(verify="<tls_dir>/cert.pem")``. The
certificate is its own CA (basicConstraints CA:TRUE) so verifiers that want a trust anchor accept it.
A certificate that no longer covers the configured host, or expires within a day, is replaced.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from jiraemu.config import EmuConfig

VALID_DAYS = 825


def tls_dir(config: EmuConfig) -> Path:
    return Path(config.tls_dir) if config.tls_dir else Path.cwd() / ".jiraemu" / "tls"


def _names(config: EmuConfig) -> tuple[list[str], list[str]]:
    dns = ["localhost"]
    ips = ["127.0.0.1", "::1"]
    host = config.host or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
        if host not in ips and host not in ("0.0.0.0", "::"):
            ips.append(host)
    except ValueError:
        if host not in dns:
            dns.append(host)
    return dns, ips


def _still_good(cert_path: Path, dns: list[str], ips: list[str]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have_dns = set(san.get_values_for_type(x509.DNSName))
    have_ips = {str(ip) for ip in san.get_values_for_type(x509.IPAddress)}
    fresh = cert.not_valid_after_utc > dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return fresh and set(dns) <= have_dns and set(ips) <= have_ips


def ensure_certificate(config: EmuConfig) -> tuple[str, str]:
    """Paths of (cert.pem, key.pem), generating them on first use."""
    folder = tls_dir(config)
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    dns, ips = _names(config)
    if key_path.exists() and _still_good(cert_path, dns, ips):
        return str(cert_path), str(key_path)
    folder.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, "jiraemu local"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "jiraemu")]
    )
    now = dt.datetime.now(dt.UTC)
    san = x509.SubjectAlternativeName(
        [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(san, critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    tmp_key = key_path.with_suffix(".tmp")
    tmp_key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(tmp_key, 0o600)
    tmp_cert = cert_path.with_suffix(".tmp")
    tmp_cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.replace(tmp_key, key_path)
    os.replace(tmp_cert, cert_path)
    return str(cert_path), str(key_path)
