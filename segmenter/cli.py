"""`swarmcast segment`: run the segmenter alone, writing a directory `swarmcast serve --dir` serves.

    swarmcast segment --out var/live --stream demo  # synthetic, live, until Ctrl-C
    swarmcast segment --out var/live --stream talk --source file:talk.mp4 --loop
    swarmcast segment --out /tmp/vod --stream clip --duration 20 --fast  # 20 s VOD, unpaced
    swarmcast segment --out var/live --stream obs --source rtmp --stream-key s3cret

Defaults come from `segmenter.config.SegmenterConfig`; flags only override them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import signal
from pathlib import Path
from typing import Any

from swarmcast.segmenter.config import Rendition, SegmenterConfig

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "segment",
        help="encode a source into a signed HLS/DASH directory (no HTTP)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--out", type=Path, default=Path("var/live"), help="streams directory")
    parser.add_argument("--stream", default="demo", help="stream name (default demo)")
    parser.add_argument(
        "--source",
        default="synthetic",
        help="synthetic (default), file:PATH, or rtmp (needs --stream-key)",
    )
    parser.add_argument("--loop", action="store_true", help="loop a file: source forever")
    parser.add_argument(
        "--duration",
        type=float,
        help="stop after this many seconds (of media for synthetic, else wall clock); then VOD",
    )
    parser.add_argument(
        "--fast", action="store_true", help="synthetic/file: do not pace to real time"
    )
    add_encoding_arguments(parser)
    rtmp = parser.add_argument_group("RTMP ingest (--source rtmp)")
    rtmp.add_argument("--rtmp-host", default="0.0.0.0", help="RTMP address (default 0.0.0.0)")
    rtmp.add_argument("--rtmp-port", type=int, default=1935, help="RTMP port (default 1935)")
    rtmp.add_argument("--stream-key", help="publisher's secret key (or SWARMCAST_STREAM_KEY)")
    parser.set_defaults(func=run)


def add_encoding_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags that override `SegmenterConfig` (shared with the benchmark)."""
    group = parser.add_argument_group("encoding (defaults: segmenter.config.SegmenterConfig)")
    group.add_argument(
        "--ladder", help="renditions WIDTHxHEIGHT@KBPS, comma separated, e.g. 1280x720@2500"
    )
    group.add_argument("--segment-duration", type=float, help="seconds per segment")
    group.add_argument("--fps", type=int, help="output frame rate")
    group.add_argument("--preset", help="x264 preset (e.g. veryfast, superfast)")
    group.add_argument("--audio-bitrate", type=int, help="AAC bits/s")
    group.add_argument("--window", type=int, help="segments in a live playlist")
    group.add_argument("--retain", type=int, help="segments kept on disk (0 = all)")
    group.add_argument("--piece-size", type=int, help="integrity piece size in bytes")


def config_from_args(args: argparse.Namespace) -> SegmenterConfig:
    overrides: dict[str, Any] = {}
    if args.ladder:
        overrides["renditions"] = tuple(Rendition.parse(rung) for rung in args.ladder.split(","))
    for flag, name in (
        ("segment_duration", "segment_duration"),
        ("fps", "fps"),
        ("preset", "x264_preset"),
        ("audio_bitrate", "audio_bitrate"),
        ("window", "playlist_window"),
        ("retain", "retained_segments"),
        ("piece_size", "piece_size"),
    ):
        value = getattr(args, flag, None)
        if value is not None:
            overrides[name] = value
    if "playlist_window" in overrides and "retained_segments" not in overrides:
        default = SegmenterConfig().retained_segments
        overrides["retained_segments"] = max(default, overrides["playlist_window"])
    return dataclasses.replace(SegmenterConfig(), **overrides)


def make_source(args: argparse.Namespace, config: SegmenterConfig) -> Any:
    from swarmcast.segmenter.sources import FileSource, SyntheticSource

    spec: str = args.source
    realtime = not args.fast
    if spec == "synthetic":
        top = config.top
        return SyntheticSource(
            width=top.width,
            height=top.height,
            fps=config.fps,
            sample_rate=config.audio_sample_rate,
            duration=args.duration,
            realtime=realtime,
        )
    if spec.startswith("file:"):
        path = Path(spec.removeprefix("file:"))
        if not path.is_file():
            raise SystemExit(f"no such file: {path}")
        return FileSource(path, loop=args.loop, realtime=realtime)
    if spec == "rtmp":
        from swarmcast.segmenter.rtmp_ingest import RtmpConfig, RtmpSource

        key = args.stream_key or os.environ.get("SWARMCAST_STREAM_KEY")
        if not key:
            raise SystemExit("--source rtmp needs --stream-key KEY (or SWARMCAST_STREAM_KEY)")
        rtmp_config = RtmpConfig(
            listen_host=args.rtmp_host, port=args.rtmp_port, stream_keys={key: args.stream}
        )
        return RtmpSource.listen(rtmp_config, args.stream)
    raise SystemExit(f"unknown source {spec!r}: use synthetic, file:PATH or rtmp")


def run(args: argparse.Namespace) -> int:
    try:
        config = config_from_args(args)
    except ValueError as exc:
        raise SystemExit(f"bad encoding options: {exc}") from None
    source = make_source(args, config)
    return asyncio.run(_segment(args, config, source))


async def _segment(args: argparse.Namespace, config: SegmenterConfig, source: Any) -> int:
    from swarmcast.segmenter.pipeline import (
        LiveStream,
        PublisherLost,
        SegmentPublished,
        StreamEnded,
    )

    stream = LiveStream(args.stream, args.out, config, source)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopping.set)

    def report(event: object) -> None:
        if isinstance(event, SegmentPublished):
            log.info("segment %d (%.3f s) published: %s bytes", event.seq, event.duration,
                     "/".join(str(size) for size in event.sizes))  # fmt: skip
        elif isinstance(event, PublisherLost):
            log.warning("publisher lost: %s", event.reason)
        elif isinstance(event, StreamEnded):
            log.info("stream ended (VOD) with %d segments in %s", event.segments,
                     stream.stream_dir)  # fmt: skip

    stream.add_listener(report)
    await stream.start()
    log.info("writing %s (key %s)", stream.stream_dir, stream.signing_key_info.get("key_id"))
    ended = asyncio.ensure_future(stream.wait_ended())
    interrupted = asyncio.ensure_future(stopping.wait())
    timeout = None
    if args.duration is not None and args.source != "synthetic":
        timeout = args.duration  # other sources run until told: stop after the duration
    await asyncio.wait({ended, interrupted}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    await stream.stop()
    interrupted.cancel()
    return 1 if stream.error is not None else 0
