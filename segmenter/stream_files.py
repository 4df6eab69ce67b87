"""The on-disk tree of one stream (docs/protocol.md §1): atomic writes, the signing key,
integrity records, retention, and the small state that keeps sequence numbers unique
across restarts."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from swarmcast.protocol import integrity

log = logging.getLogger(__name__)

KEY_FILE = ".signing-key.pem"
STATE_FILE = ".segmenter-state.json"
PUBLIC_KEY_FILE = "signing-key.json"


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a hidden temporary name, then rename: readers see all of it or nothing."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def load_or_create_key(stream_dir: Path) -> Ed25519PrivateKey:
    """The stream's Ed25519 key: generated once, kept in `.signing-key.pem` (mode 0600)."""
    path = stream_dir / KEY_FILE
    if path.exists():
        key = load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    os.replace(temporary, path)
    return key


class StreamFiles:
    """Writes one stream's files below `stream_dir`, in publication order."""

    def __init__(self, stream: str, stream_dir: Path, piece_size: int) -> None:
        self.stream = stream
        self.stream_dir = stream_dir
        self.piece_size = piece_size
        self.key: Ed25519PrivateKey | None = None

    def prepare(self, renditions: tuple[str, ...]) -> tuple[dict[str, str], int, int]:
        """Create the tree, load/create the key, publish `signing-key.json`, clear what a
        previous run left. Returns (signing-key document, next seq, next discontinuity)."""
        self.stream_dir.mkdir(parents=True, exist_ok=True)
        self.key = load_or_create_key(self.stream_dir)
        document = integrity.signing_key_document(integrity.signing_key_of(self.key))
        write_atomic(self.stream_dir / PUBLIC_KEY_FILE, json.dumps(document).encode())
        next_seq, next_discontinuity = self._load_state()
        for name in ("master.m3u8", "manifest.mpd"):
            with contextlib.suppress(FileNotFoundError):
                (self.stream_dir / name).unlink()
        for child in self.stream_dir.iterdir():
            if child.is_dir():
                self._clear_rendition_dir(child)
        for rendition in renditions:
            (self.stream_dir / rendition).mkdir(exist_ok=True)
        return document, next_seq, next_discontinuity

    def _clear_rendition_dir(self, directory: Path) -> None:
        """Old segments and playlists: a new run must never serve them as its own."""
        for child in directory.iterdir():
            if child.is_file() and (
                child.name.startswith(("seg-", "init-", ".")) or child.name == "index.m3u8"
            ):
                child.unlink()

    def _load_state(self) -> tuple[int, int]:
        path = self.stream_dir / STATE_FILE
        try:
            state = json.loads(path.read_text())
            return int(state["next_seq"]), int(state["next_discontinuity"])
        except FileNotFoundError:
            return 0, 0
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("%s unreadable (%s); sequence numbers restart at 0", path, exc)
            return 0, 0

    def save_state(self, next_seq: int, next_discontinuity: int) -> None:
        state = {"next_seq": next_seq, "next_discontinuity": next_discontinuity}
        write_atomic(self.stream_dir / STATE_FILE, json.dumps(state).encode())

    def publish_media_file(
        self, rendition: str, kind: integrity.Kind, seq: int, data: bytes
    ) -> Path:
        """Write the file and its signed integrity record (record first: no one can see the
        file without its record). Returns the file's path."""
        assert self.key is not None, "prepare() first"
        uri = f"init-{seq}.mp4" if kind == "init" else f"seg-{seq}.m4s"
        record = integrity.build_record(
            stream=self.stream,
            rendition=rendition,
            kind=kind,
            seq=seq,
            uri=uri,
            data=data,
            private_key=self.key,
            piece_size=self.piece_size,
        )
        directory = self.stream_dir / rendition
        write_atomic(directory / f"{uri}.integrity.json", record.to_json())
        write_atomic(directory / uri, data)
        return directory / uri

    def write_text(self, relative: str, text: str) -> None:
        write_atomic(self.stream_dir / relative, text.encode("utf-8"))

    def remove_media_file(self, rendition: str, uri: str) -> None:
        directory = self.stream_dir / rendition
        for name in (uri, f"{uri}.integrity.json"):
            with contextlib.suppress(FileNotFoundError):
                (directory / name).unlink()
