"""One publisher's span of the stream: timing, audio conversion and the ladder's encoders.

Every source frame is put on the constant-rate output timeline (segmenter/timeline.py) and
encoded once per rendition; audio is resampled to the output format, gaps are filled with
silence, and it is cut into AAC-sized frames shared by all renditions. Timestamps continue
from the previous period (`first_frame`), so tfdt grows across publishers too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import av

from swarmcast.segmenter.config import SegmenterConfig
from swarmcast.segmenter.encoder import RenditionWorker
from swarmcast.segmenter.timeline import AudioTimeline, VideoTimeline

AAC_FRAME = 1024
MAX_AUDIO_LAG = 1.0
"""Seconds audio may trail video before silence is filled in (a source without audio)."""

FileSink = Callable[[str, str, int, bytes], None]
"""on_file(rendition, kind, fragment index, data)."""


class Period:
    def __init__(
        self,
        config: SegmenterConfig,
        discontinuity: int,
        first_seq: int,
        first_frame: int,
        on_file: FileSink,
    ) -> None:
        self.config = config
        self.discontinuity = discontinuity
        self.first_seq = first_seq
        self.first_frame = first_frame
        self._on_file = on_file
        self._fragments: dict[str, int] = {}
        self.encoders = [
            RenditionWorker(rendition, config, self._file_callback(rendition.name))
            for rendition in config.renditions
        ]
        self._video = VideoTimeline(config.fps, config.max_timestamp_gap)
        self._audio = AudioTimeline(config.audio_sample_rate, config.max_timestamp_gap)
        self._layout = "mono" if config.audio_channels == 1 else "stereo"
        self._resampler = av.AudioResampler(
            format="fltp", layout=self._layout, rate=config.audio_sample_rate
        )
        self._fifo = av.AudioFifo()
        self._audio_base = round(first_frame * config.audio_sample_rate / config.fps)
        self._audio_out = 0
        self._wallclocks: dict[int, float] = {}
        self._origin: float | None = None
        self._pre_roll: list[tuple[av.AudioFrame, float]] = []
        self._closed = False

    @property
    def frames_out(self) -> int:
        return self._video.next_slot

    def segment_wallclock(self, index: int) -> float | None:
        """Capture time of the first frame of segment `index` of this period."""
        return self._wallclocks.get(index)

    def _file_callback(self, rendition: str) -> Callable[[str, bytes], None]:
        def on_file(kind: str, data: bytes) -> None:
            index = self._fragments.get(rendition, 0)
            if kind == "fragment":
                self._fragments[rendition] = index + 1
            self._on_file(rendition, kind, index, data)

        return on_file

    def video(self, frame: av.VideoFrame, time: float, wallclock: float) -> None:
        _check_time(time)
        if self._origin is None:
            # The first picture is time zero of this period; audio captured before it is
            # dropped, audio captured after it is replayed from the pre-roll.
            self._origin = time
            self._video.align_to(time)
            self._audio.align_to(time)
            pre_roll, self._pre_roll = self._pre_roll, []
            for audio_frame, audio_time in pre_roll:
                self.audio(audio_frame, audio_time)
        count = self._video.place(time)
        per_segment = self.config.frames_per_segment
        for repeat in range(count):
            slot = self._video.next_slot - count + repeat
            keyframe = slot % per_segment == 0
            if keyframe:
                self._wallclocks[slot // per_segment] = wallclock - (count - 1 - repeat) / (
                    self.config.fps
                )
            for encoder in self.encoders:
                encoder.encode_video(frame, self.first_frame + slot, keyframe)
        if count:
            lag_limit = self._video.next_slot / self.config.fps - MAX_AUDIO_LAG
            self._write_silence(self._audio.missing_until(
                round(lag_limit * self.config.audio_sample_rate)))  # fmt: skip

    def audio(self, frame: av.AudioFrame, time: float) -> None:
        _check_time(time)
        if self._origin is None:
            # No picture yet: hold at most MAX_AUDIO_LAG of sound (an audio-only publisher
            # must not grow a muxer buffer forever).
            self._pre_roll.append((frame, time))
            self._pre_roll = [(f, t) for f, t in self._pre_roll if t >= time - MAX_AUDIO_LAG]
            return
        silence = self._audio.place(time)
        if silence is None:
            return  # overlaps audio already written (timestamps went backwards)
        self._write_silence(silence)
        frame.pts = None  # the fifo checks continuity of pts; ours come from the timeline
        try:
            converted = self._resampler.resample(frame)
        except ValueError:  # the publisher changed its audio format: start a new converter
            self._resampler = av.AudioResampler(
                format="fltp", layout=self._layout, rate=self.config.audio_sample_rate
            )
            converted = self._resampler.resample(frame)
        for chunk in converted:
            self._push(chunk)

    def _write_silence(self, samples: int) -> None:
        while samples > 0:
            chunk = min(samples, 48_000)
            silent = av.AudioFrame(format="fltp", layout=self._layout, samples=chunk)
            silent.sample_rate = self.config.audio_sample_rate
            for plane in silent.planes:
                plane.update(bytes(plane.buffer_size))
            self._push(silent)
            samples -= chunk

    def _push(self, frame: av.AudioFrame) -> None:
        frame.pts = None
        self._fifo.write(frame)
        self._audio.advance(frame.samples)
        self._drain(AAC_FRAME)

    def _drain(self, minimum: int) -> None:
        while self._fifo.samples >= minimum and self._fifo.samples > 0:
            chunk = self._fifo.read(min(AAC_FRAME, self._fifo.samples))
            if chunk is None:
                return
            chunk.pts = self._audio_base + self._audio_out
            chunk.time_base = Fraction(1, self.config.audio_sample_rate)
            self._audio_out += chunk.samples
            for encoder in self.encoders:
                encoder.encode_audio(chunk)

    def close(self) -> None:
        """Cover the video's length with audio, flush every encoder (last fragments)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._video.next_slot:
                for converted in self._resampler.resample(None):
                    self._push(converted)
                video_end = self._video.next_slot * self.config.audio_sample_rate
                self._write_silence(self._audio.missing_until(video_end // self.config.fps))
                self._drain(1)
        finally:
            errors: list[Exception] = []
            for encoder in self.encoders:
                try:
                    encoder.close()
                except Exception as exc:  # close the others anyway
                    errors.append(exc)
            if errors:
                raise errors[0]


def _check_time(time: float) -> None:
    if not math.isfinite(time):
        raise ValueError(f"frame time {time} is not a finite number")
