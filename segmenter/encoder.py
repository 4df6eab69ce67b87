"""One rung of the ladder for one publisher: x264 + AAC muxed into fragmented MP4 (CMAF).

The mp4 muxer writes into memory; `FragmentSplitter` cuts the bytes into `init` and one
fragment per segment, handed to `on_file` as soon as the muxer emits them. Keyframes are
forced on every segment boundary (`forced-idr`, GOP = frames per segment, no scene cuts), so
each fragment of each rendition starts with an IDR at the same instant.
"""

from __future__ import annotations

import io
import logging
import queue
import threading
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import av
from av.video.frame import PictureType
from av.video.reformatter import VideoReformatter

from swarmcast.segmenter.config import Rendition, SegmenterConfig
from swarmcast.segmenter.fmp4 import FragmentSplitter

log = logging.getLogger(__name__)

VIDEO_TIMESCALE = 90_000
MOVFLAGS = "cmaf+frag_keyframe+empty_moov+default_base_moof+skip_trailer+frag_discont"

FileCallback = Callable[[str, bytes], None]
"""on_file(kind, data): kind is "init" or "fragment"."""


class _MuxerSink(io.RawIOBase):
    """Non-seekable write target for the muxer: forwards bytes to the splitter."""

    def __init__(self, splitter: FragmentSplitter, on_file: FileCallback) -> None:
        super().__init__()
        self._splitter = splitter
        self._on_file = on_file
        self._position = 0

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._position

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._position += len(chunk)
        for kind, payload in self._splitter.feed(chunk):
            try:
                self._on_file(kind, payload)
            except Exception:  # e.g. disk full: lose this file, keep the muxer healthy
                log.exception("publishing a %s file failed", kind)
        return len(chunk)


class RenditionEncoder:
    """Encodes pre-timed frames of one period into one rendition's CMAF files."""

    def __init__(
        self, rendition: Rendition, config: SegmenterConfig, on_file: FileCallback
    ) -> None:
        self.rendition = rendition
        self.config = config
        self._splitter = FragmentSplitter()
        self._sink = _MuxerSink(self._splitter, on_file)
        self._container = av.open(
            self._sink,
            mode="w",
            format="mp4",
            options={"movflags": MOVFLAGS, "video_track_timescale": str(VIDEO_TIMESCALE)},
        )
        gop = config.frames_per_segment
        x264_params = {
            "keyint": str(gop),
            "min-keyint": str(gop),
            "scenecut": "0",
            "open-gop": "0",
            "bframes": str(config.x264_bframes),
            "nal-hrd": "none",
            **dict(config.extra_x264_params),
        }
        if config.x264_threads:
            x264_params["threads"] = str(config.x264_threads)
        self._video = self._container.add_stream(
            "libx264",
            rate=config.fps,
            options={
                "preset": config.x264_preset,
                "forced-idr": "1",
                "x264-params": ":".join(f"{key}={value}" for key, value in x264_params.items()),
                "maxrate": str(round(rendition.video_bitrate * 1.2)),
                "bufsize": str(rendition.video_bitrate * 2),
            },
        )
        self._video.width = rendition.width
        self._video.height = rendition.height
        self._video.pix_fmt = "yuv420p"
        self._video.bit_rate = rendition.video_bitrate
        self._frame_time_base = Fraction(1, config.fps)
        self._video.time_base = self._frame_time_base
        self._audio = self._container.add_stream(
            "aac", rate=config.audio_sample_rate, layout=_layout(config.audio_channels)
        )
        self._audio.bit_rate = config.audio_bitrate
        self._audio.time_base = Fraction(1, config.audio_sample_rate)
        self._interpolation = config.scale_algorithm
        # Our own scaler: `frame.reformat` caches one on the (shared) frame, which is not
        # safe when several encoder threads scale the same picture at once.
        self._scaler = VideoReformatter()
        self._closed = False
        self._sent_video = False
        self._sent_audio = False

    def encode_video(self, frame: av.VideoFrame, pts: int, keyframe: bool) -> None:
        """Encode `frame` (any size/format) at output frame number `pts`.

        The frame may be shared with the other renditions (reformat returns it unchanged when
        it already fits); they all set the same pts and picture type, and encoders copy the
        picture, so re-timing it in place is safe."""
        picture = self._scaler.reformat(
            frame,
            self.rendition.width,
            self.rendition.height,
            format="yuv420p",
            interpolation=self._interpolation,
        )
        picture.pts = pts
        # Not the stream's time base: the muxer changes that to its track timescale.
        picture.time_base = self._frame_time_base
        # Sources (lavfi, decoders) leave their own picture types on frames; x264 honours them.
        picture.pict_type = PictureType.I if keyframe else PictureType.NONE
        self._sent_video = True
        self._container.mux(self._video.encode(picture))

    def encode_audio(self, frame: av.AudioFrame) -> None:
        """Encode an fltp frame already timed in 1/sample_rate units."""
        self._sent_audio = True
        self._container.mux(self._audio.encode(frame))

    def close(self) -> None:
        """Flush the encoders; the muxer emits the last fragment. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        try:
            # Flushing an encoder that never got a frame is an FFmpeg error: skip those.
            if self._sent_video:
                self._container.mux(self._video.encode(None))
            if self._sent_audio:
                self._container.mux(self._audio.encode(None))
        finally:
            self._container.close()
            leftover = self._splitter.finish()
            if leftover:
                log.debug(
                    "%s: %d trailing bytes after the last fragment", self.rendition.name, leftover
                )


def _layout(channels: int) -> str:
    return {1: "mono", 2: "stereo"}.get(channels, "stereo")


class RenditionWorker:
    """Runs one `RenditionEncoder` in its own thread, so the ladder's rungs scale and encode
    in parallel (PyAV releases the GIL in swscale and in the encoders).

    Items are processed in submission order; a bounded queue pushes back on the source when
    encoding falls behind. `on_file` is called from this worker's thread.
    """

    QUEUE_DEPTH = 16

    def __init__(
        self, rendition: Rendition, config: SegmenterConfig, on_file: FileCallback
    ) -> None:
        self.rendition = rendition
        self._encoder = RenditionEncoder(rendition, config, on_file)
        self._queue: queue.Queue[tuple[Any, ...]] = queue.Queue(self.QUEUE_DEPTH)
        self._close_error: BaseException | None = None
        self.errors = 0
        self._thread = threading.Thread(
            target=self._run, name=f"encode-{rendition.name}", daemon=True
        )
        self._thread.start()

    def encode_video(self, frame: av.VideoFrame, pts: int, keyframe: bool) -> None:
        self._queue.put(("video", frame, pts, keyframe))

    def encode_audio(self, frame: av.AudioFrame) -> None:
        self._queue.put(("audio", frame))

    def close(self) -> None:
        """Finish queued work, flush, and re-raise a flush failure in the caller's thread."""
        if self._thread.is_alive():
            self._queue.put(("close",))
            self._thread.join()
        if self._close_error is not None:
            error, self._close_error = self._close_error, None
            raise error

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item[0] == "video":
                    self._encoder.encode_video(item[1], item[2], item[3])
                elif item[0] == "audio":
                    self._encoder.encode_audio(item[1])
                else:
                    self._encoder.close()
                    return
            except Exception as exc:  # bad frame: skip it, keep the rung alive
                if item[0] == "close":
                    self._close_error = exc
                    return
                self.errors += 1
                if self.errors <= 5 or self.errors % 100 == 0:
                    log.warning("%s: %s frame skipped: %s (%d so far)", self.rendition.name,
                                item[0], exc, self.errors)  # fmt: skip
