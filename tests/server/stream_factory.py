"""A small real stream directory (protocol §1 layout) encoded with PyAV, for origin tests.

The origin only serves files, so its tests need real CMAF bytes in the contract's layout, not
the whole live pipeline: a few seconds of testsrc2 + sine encoded to fragmented MP4, split at
top-level boxes into `init-0.mp4` and `seg-<n>.m4s`, plus playlists, an MPD, integrity records
and the key files (including the never-served `.signing-key.pem`).
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

FPS = 30
SEGMENT_SECONDS = 2
PIECE_SIZE = 16384


@dataclass(frozen=True)
class LadderRung:
    name: str
    width: int
    height: int
    bitrate: int


LADDER = (LadderRung("360p", 640, 360, 700_000), LadderRung("180p", 320, 180, 250_000))


def _top_level_boxes(data: bytes) -> list[tuple[bytes, bytes]]:
    boxes = []
    offset = 0
    while offset < len(data):
        size, kind = struct.unpack_from(">I4s", data, offset)
        if size == 1:
            size = struct.unpack_from(">Q", data, offset + 8)[0]
        elif size == 0:
            size = len(data) - offset
        boxes.append((kind, data[offset : offset + size]))
        offset += size
    return boxes


def encode_cmaf(rung: LadderRung, seconds: int) -> tuple[bytes, list[bytes]]:
    """(init segment, media segments) of `seconds` of test pattern + tone, 2 s per segment."""
    out = io.BytesIO()
    output = av.open(
        out,
        "w",
        format="mp4",
        options={"movflags": "cmaf+frag_keyframe+empty_moov+default_base_moof"},
    )
    gop = FPS * SEGMENT_SECONDS
    video = output.add_stream("libx264", rate=FPS)
    video.width, video.height, video.pix_fmt = rung.width, rung.height, "yuv420p"
    video.bit_rate = rung.bitrate
    video.options = {"preset": "ultrafast", "g": str(gop), "keyint_min": str(gop), "bf": "0"}
    video.codec_context.options = {"x264-params": "scenecut=0"}
    audio = output.add_stream("aac", rate=48000, layout="stereo")
    source = av.open(
        f"testsrc2=size={rung.width}x{rung.height}:rate={FPS}:duration={seconds}", format="lavfi"
    )
    tone = av.open(f"sine=frequency=440:sample_rate=48000:duration={seconds}", format="lavfi")
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=48000)
    audio_frames = [out for frame in tone.decode(audio=0) for out in resampler.resample(frame)]
    audio_frames += resampler.resample(None)
    audio_sent = 0.0  # seconds of audio muxed so far: keep it interleaved with the video
    for index, frame in enumerate(source.decode(video=0)):
        frame.pts, frame.time_base = index, Fraction(1, FPS)
        # lavfi marks every raw frame I: force IDR only on segment boundaries.
        keyframe = index % gop == 0
        frame.pict_type = (
            av.video.frame.PictureType.I if keyframe else av.video.frame.PictureType.NONE
        )
        output.mux(video.encode(frame))
        while audio_frames and audio_sent <= (index + 1) / FPS:
            chunk = audio_frames.pop(0)
            audio_sent += chunk.samples / 48000
            output.mux(audio.encode(chunk))
    output.mux(video.encode(None))
    for chunk in audio_frames:
        output.mux(audio.encode(chunk))
    output.mux(audio.encode(None))
    output.close()
    source.close()
    tone.close()
    boxes = _top_level_boxes(out.getvalue())
    init = b"".join(box for kind, box in boxes if kind in (b"ftyp", b"moov"))
    segments: list[bytes] = []
    pending = b""
    for kind, box in boxes:
        if kind in (b"ftyp", b"moov", b"mfra"):
            continue
        pending += box
        if kind == b"mdat":
            segments.append(pending)
            pending = b""
    return init, segments


def _record(stream: str, rendition: str, kind: str, seq: int, uri: str, body: bytes) -> dict:
    pieces = [
        hashlib.sha256(body[i : i + PIECE_SIZE]).hexdigest()
        for i in range(0, len(body), PIECE_SIZE)
    ]
    return {
        "version": 1,
        "stream": stream,
        "rendition": rendition,
        "kind": kind,
        "seq": seq,
        "uri": uri,
        "size": len(body),
        "sha256": hashlib.sha256(body).hexdigest(),
        "piece_size": PIECE_SIZE,
        "pieces": pieces,
        "key_id": "0" * 16,
        "signature": "unsigned-test-fixture",
    }


def write_stream(streams_dir: Path, stream: str, seconds: int = 6, *, ended: bool = False) -> None:
    """Write `<streams_dir>/<stream>/...` as the segmenter would (protocol §1)."""
    stream_dir = streams_dir / stream
    stream_dir.mkdir(parents=True, exist_ok=True)
    master = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rung in LADDER:
        init, segments = encode_cmaf(rung, seconds)
        rendition_dir = stream_dir / rung.name
        rendition_dir.mkdir(exist_ok=True)
        files = [("init", 0, "init-0.mp4", init)] + [
            ("media", seq, f"seg-{seq}.m4s", body) for seq, body in enumerate(segments)
        ]
        for kind, seq, uri, body in files:
            (rendition_dir / uri).write_bytes(body)
            record = _record(stream, rung.name, kind, seq, uri, body)
            (rendition_dir / f"{uri}.integrity.json").write_text(json.dumps(record))
        playlist = [
            "#EXTM3U",
            "#EXT-X-VERSION:7",
            f"#EXT-X-TARGETDURATION:{SEGMENT_SECONDS}",
            "#EXT-X-MEDIA-SEQUENCE:0",
            '#EXT-X-MAP:URI="init-0.mp4"',
        ]
        for seq in range(len(segments)):
            playlist += [f"#EXTINF:{SEGMENT_SECONDS:.3f},", f"seg-{seq}.m4s"]
        if ended:
            playlist.append("#EXT-X-ENDLIST")
        (rendition_dir / "index.m3u8").write_text("\n".join(playlist) + "\n")
        bandwidth = rung.bitrate + 128_000
        master += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={rung.width}x{rung.height},"
            f'CODECS="avc1.42c01e,mp4a.40.2",FRAME-RATE={FPS}',
            f"{rung.name}/index.m3u8",
        ]
    (stream_dir / "master.m3u8").write_text("\n".join(master) + "\n")
    mpd_type = "static" if ended else "dynamic"
    (stream_dir / "manifest.mpd").write_text(
        f'<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="{mpd_type}"/>\n'
    )
    key = {"alg": "Ed25519", "public_key": "A" * 43, "key_id": "0" * 16}
    (stream_dir / "signing-key.json").write_text(json.dumps(key))
    (stream_dir / ".signing-key.pem").write_text("-----BEGIN PRIVATE KEY-----\nsecret\n")
