"""A locally generated CA (trustme) for sandboxes served over HTTPS on 127.0.0.1."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class LocalTLS:
    ca_file: Path
    context: ssl.SSLContext


def local_tls(directory: Path) -> LocalTLS:
    """A server context for 127.0.0.1 and localhost, and the CA file clients must trust (in `directory`)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return LocalTLS(ca_file=ca_file.resolve(), context=context)
