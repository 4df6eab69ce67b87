"""The production edge of docs/deploy.md for tests and the lab: Debian's nginx running
`deploy/nginx/swarmcast.conf` (TLS, HTTP/2, the caching edge, WebSocket proxying) with a test
certificate and this run's addresses, ports and paths substituted.

`e2e/test_production_topology.py` runs it in front of two signaling nodes; the lab runs it in
the origin's namespace so that browsers load as they would from a real deployment: every
request of a page on one HTTP/2 connection, not up to six HTTP/1.1 connections of their own
(`LabConfig.page_edge`).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from swarmcast.e2e.serve_process import REPO

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
EDGE_HOST = "swarmcast.test"  # the name the certificate is for


@dataclass
class Authority:
    cert: Path
    key: Path
    spki_sha256: str  # what --ignore-certificate-errors-spki-list wants


def make_certificate(directory: Path, host: str = EDGE_HOST) -> Authority:
    """A test CA and a leaf for `host` signed by it (the chain nginx serves)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "swarmcast test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    cert_path, key_path = directory / "fullchain.pem", directory / "privkey.pem"
    cert_path.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_path.write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return Authority(cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode())


# One line per request, written when nginx has handed its last byte to the socket: when (epoch s),
# how long since its header arrived, the origin's connect / header / whole-response times ("-"
# when served from the cache), the cache status, the status, bytes sent, the client connection
# and its request count (HTTP/2: a page's requests share one), the client address, the URI.
EDGE_TIMING_FORMAT = (
    "$msec $request_time $upstream_connect_time $upstream_header_time $upstream_response_time"
    " $upstream_cache_status $status $bytes_sent $connection $connection_requests $remote_addr"
    " $request_uri"
)


def nginx_config(
    work: Path,
    origin: str,
    signaling: tuple[str, str],
    listen: str,
    ca: Authority,
    host: str = EDGE_HOST,
    access_log: Path | None = None,
) -> Path:
    """deploy/nginx/swarmcast.conf in a minimal main config, with the origin's and the two
    signaling nodes' `address:port`, the `address:port` to listen on, and `work` for every path
    (cache, temp files, pid, error log). `access_log`: where each request's timing goes
    (`EDGE_TIMING_FORMAT`), for diagnosis; none by default."""
    site = (REPO / "deploy" / "nginx" / "swarmcast.conf").read_text()
    replacements = {
        "/var/cache/nginx/swarmcast": str(work / "cache"),
        "server 127.0.0.1:8080;": f"server {origin};",
        "server 127.0.0.1:8081 ": f"server {signaling[0]} ",
        "server 127.0.0.1:8082 ": f"server {signaling[1]} ",
        "listen 443 ssl http2;": f"listen {listen} ssl http2;",
        "server_name video.example.com;": f"server_name {host};",
        "/etc/ssl/swarmcast/fullchain.pem": str(ca.cert),
        "/etc/ssl/swarmcast/privkey.pem": str(ca.key),
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/swarmcast.conf no longer has {old!r}"
        site = site.replace(old, new)
    (work / "swarmcast.conf").write_text(site)
    main = work / "nginx.conf"
    access = "access_log off;"
    if access_log is not None:
        access = f"log_format timing '{EDGE_TIMING_FORMAT}'; access_log {access_log} timing;"
    temp = " ".join(
        f"{kind}_temp_path {work / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    main.write_text(
        f"user root;\nworker_processes 1;\ndaemon off;\npid {work / 'nginx.pid'};\n"
        f"error_log {work / 'error.log'} warn;\nevents {{ worker_connections 512; }}\n"
        f"http {{ {access} {temp} include {work / 'swarmcast.conf'}; }}\n"
    )
    return main


def nginx_argv(conf: Path, work: Path) -> list[str]:
    """The command that runs `conf` in the foreground (`daemon off`), logging into `work`."""
    return [NGINX, "-c", str(conf), "-p", str(work), "-e", str(work / "error.log")]
