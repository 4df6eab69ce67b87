"""Just enough ISO-BMFF parsing to cut a fragmented-MP4 byte stream into CMAF files.

The mp4 muxer writes `ftyp moov` (the init segment) and then one `moof mdat` pair per
fragment (= per segment: keyframes only on segment boundaries). `FragmentSplitter` turns the
byte stream into those files; `InitInfo`/`FragmentInfo` read what the playlists need (codec
string, timescales, decode times, durations, whether a fragment starts with a sync sample).
Pure: bytes in, values out.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

CONTAINER_BOXES = frozenset({b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof",
                             b"traf", b"edts", b"dinf"})  # fmt: skip


class Mp4FormatError(ValueError):
    """The muxer output is not the fragmented MP4 we expect."""


def iter_boxes(
    data: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[bytes, int, int]]:
    """Yield (type, payload_start, box_end) for the boxes laid end to end in data[start:end]."""
    end = len(data) if end is None else end
    position = start
    while position + 8 <= end:
        size, box_type = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            if position + 16 > end:
                raise Mp4FormatError("truncated largesize box header")
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise Mp4FormatError(f"box {box_type!r} of size {size} overruns its parent")
        yield box_type, position + header, position + size
        position += size


def find_box(
    data: bytes, path: tuple[bytes, ...], start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """(payload_start, end) of the first box along `path` (e.g. (b"moov", b"trak")), or None."""
    for box_type, payload, box_end in iter_boxes(data, start, end):
        if box_type == path[0]:
            if len(path) == 1:
                return payload, box_end
            found = find_box(data, path[1:], payload, box_end)
            if found is not None:
                return found
    return None


def find_all(
    data: bytes, box_type: bytes, start: int = 0, end: int | None = None
) -> Iterator[tuple[int, int]]:
    for found_type, payload, box_end in iter_boxes(data, start, end):
        if found_type == box_type:
            yield payload, box_end


@dataclass(frozen=True, slots=True)
class TrackInfo:
    track_id: int
    handler: str
    """`vide` or `soun`."""
    timescale: int
    codec: str
    """RFC 6381 codec string: `avc1.PPCCLL` or `mp4a.40.<aot>`."""
    default_sample_duration: int = 0


@dataclass(frozen=True, slots=True)
class InitInfo:
    tracks: tuple[TrackInfo, ...]

    @property
    def video(self) -> TrackInfo | None:
        return next((track for track in self.tracks if track.handler == "vide"), None)

    @property
    def codecs(self) -> str:
        """CODECS attribute: video first, then audio."""
        ordered = sorted(self.tracks, key=lambda track: track.handler != "vide")
        return ",".join(track.codec for track in ordered)

    def track(self, track_id: int) -> TrackInfo | None:
        return next((track for track in self.tracks if track.track_id == track_id), None)


def parse_init(data: bytes) -> InitInfo:
    moov = find_box(data, (b"moov",))
    if moov is None:
        raise Mp4FormatError("init segment has no moov")
    trex_durations: dict[int, int] = {}
    mvex = find_box(data, (b"mvex",), *moov)
    if mvex is not None:
        for payload, _ in find_all(data, b"trex", *mvex):
            track_id, _, duration = struct.unpack_from(">III", data, payload + 4)
            trex_durations[track_id] = duration
    tracks = []
    for trak_start, trak_end in find_all(data, b"trak", *moov):
        tkhd = find_box(data, (b"tkhd",), trak_start, trak_end)
        mdhd = find_box(data, (b"mdia", b"mdhd"), trak_start, trak_end)
        hdlr = find_box(data, (b"mdia", b"hdlr"), trak_start, trak_end)
        if tkhd is None or mdhd is None or hdlr is None:
            raise Mp4FormatError("trak without tkhd/mdhd/hdlr")
        track_id = struct.unpack_from(">I", data, tkhd[0] + (20 if data[tkhd[0]] == 1 else 12))[0]
        timescale = struct.unpack_from(">I", data, mdhd[0] + (20 if data[mdhd[0]] == 1 else 12))[0]
        handler = data[hdlr[0] + 8 : hdlr[0] + 12].decode("latin-1")
        tracks.append(
            TrackInfo(
                track_id=track_id,
                handler=handler,
                timescale=timescale,
                codec=_codec_string(data, trak_start, trak_end, handler),
                default_sample_duration=trex_durations.get(track_id, 0),
            )
        )
    return InitInfo(tuple(tracks))


def _codec_string(data: bytes, start: int, end: int, handler: str) -> str:
    if handler == "vide":
        avcc = data.find(b"avcC", start, end)
        if avcc < 0:
            raise Mp4FormatError("video track without avcC")
        profile, compatibility, level = data[avcc + 5 : avcc + 8]
        return f"avc1.{profile:02x}{compatibility:02x}{level:02x}"
    if handler == "soun":
        esds = data.find(b"esds", start, end)
        object_type = _aac_object_type(data, esds + 4, end) if esds >= 0 else None
        return f"mp4a.40.{object_type or 2}"
    return handler


def _aac_object_type(data: bytes, start: int, end: int) -> int | None:
    """Audio object type from esds: ES_Descriptor(3) > DecoderConfig(4) > DecSpecificInfo(5)."""

    def descriptor(position: int) -> tuple[int, int, int]:
        tag = data[position]
        position += 1
        length = 0
        for _ in range(4):  # expandable size: 7 bits per byte, high bit = more follow
            byte = data[position]
            position += 1
            length = (length << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        return tag, position, length

    try:
        tag, position, _ = descriptor(start + 4)  # skip the esds version/flags
        if tag != 3:
            return None
        es_flags = data[position + 2]
        position += 3 + (2 if es_flags & 0x80 else 0) + (2 if es_flags & 0x20 else 0)
        if es_flags & 0x40:
            position += 1 + data[position]
        tag, position, _ = descriptor(position)
        if tag != 4:
            return None
        tag, position, _ = descriptor(position + 13)
        if tag != 5 or position >= end:
            return None
        return data[position] >> 3
    except IndexError:
        return None


@dataclass(frozen=True, slots=True)
class TrackRun:
    track_id: int
    base_decode_time: int
    sample_count: int
    duration: int
    """Sum of the sample durations, in the track's timescale."""
    starts_with_sync: bool


@dataclass(frozen=True, slots=True)
class FragmentInfo:
    runs: tuple[TrackRun, ...]

    def run(self, track_id: int) -> TrackRun | None:
        return next((run for run in self.runs if run.track_id == track_id), None)


def parse_fragment(data: bytes, init: InitInfo) -> FragmentInfo:
    """Decode time, sample count and duration of each track of one `moof mdat` file."""
    moof = find_box(data, (b"moof",))
    if moof is None:
        raise Mp4FormatError("fragment has no moof")
    runs = []
    for traf_start, traf_end in find_all(data, b"traf", *moof):
        tfhd = find_box(data, (b"tfhd",), traf_start, traf_end)
        if tfhd is None:
            raise Mp4FormatError("traf without tfhd")
        flags = int.from_bytes(data[tfhd[0] + 1 : tfhd[0] + 4], "big")
        (track_id,) = struct.unpack_from(">I", data, tfhd[0] + 4)
        position = tfhd[0] + 8 + (8 if flags & 0x01 else 0) + (4 if flags & 0x02 else 0)
        track = init.track(track_id)
        default_duration = track.default_sample_duration if track else 0
        if flags & 0x08:
            (default_duration,) = struct.unpack_from(">I", data, position)
            position += 4
        if flags & 0x10:
            position += 4
        default_flags = struct.unpack_from(">I", data, position)[0] if flags & 0x20 else 0
        tfdt = find_box(data, (b"tfdt",), traf_start, traf_end)
        base_time = 0
        if tfdt is not None:
            version = data[tfdt[0]]
            base_time = struct.unpack_from(">Q" if version == 1 else ">I", data, tfdt[0] + 4)[0]
        count, duration, first_flags = 0, 0, None
        for trun_start, _ in find_all(data, b"trun", traf_start, traf_end):
            run = _parse_trun(data, trun_start, default_duration, default_flags)
            if first_flags is None and run.count:
                first_flags = run.first_flags
            count += run.count
            duration += run.duration
        sync = first_flags is not None and not first_flags & 0x00010000
        runs.append(TrackRun(track_id, base_time, count, duration, sync))
    return FragmentInfo(tuple(runs))


@dataclass(slots=True)
class _Trun:
    count: int = 0
    duration: int = 0
    first_flags: int = 0


def _parse_trun(data: bytes, start: int, default_duration: int, default_flags: int) -> _Trun:
    flags = int.from_bytes(data[start + 1 : start + 4], "big")
    (count,) = struct.unpack_from(">I", data, start + 4)
    position = start + 8 + (4 if flags & 0x01 else 0)
    first_sample_flags = None
    if flags & 0x04:
        (first_sample_flags,) = struct.unpack_from(">I", data, position)
        position += 4
    fields = [bit for bit in (0x100, 0x200, 0x400, 0x800) if flags & bit]
    result = _Trun(count=count)
    for index in range(count):
        values = dict(
            zip(fields, struct.unpack_from(">" + "I" * len(fields), data, position), strict=True)
        )
        position += 4 * len(fields)
        result.duration += values.get(0x100, default_duration)
        if index == 0:
            sample_flags = values.get(0x400, default_flags)
            result.first_flags = (
                first_sample_flags if first_sample_flags is not None else sample_flags
            )
    return result


@dataclass(slots=True)
class FragmentSplitter:
    """Cuts the muxer's byte stream into the init segment and one file per fragment.

    Feed it every write; it returns the files completed by that write, in order:
    ("init", bytes) once (ftyp + moov), then ("fragment", bytes) per `[styp/sidx/prft...] moof
    mdat`. Anything after the last mdat at close (e.g. mfra) is dropped by `finish()`.
    """

    _buffer: bytearray = field(default_factory=bytearray)
    _pending: bytearray = field(default_factory=bytearray)
    _init_done: bool = False
    _init: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[tuple[str, bytes]]:
        self._buffer += data
        out: list[tuple[str, bytes]] = []
        while len(self._buffer) >= 8:
            size, box_type = struct.unpack_from(">I4s", self._buffer, 0)
            if size == 1:
                if len(self._buffer) < 16:
                    break
                (size,) = struct.unpack_from(">Q", self._buffer, 8)
            if size < 8:
                raise Mp4FormatError(f"top-level box {box_type!r} has size {size}")
            if len(self._buffer) < size:
                break
            box = bytes(self._buffer[:size])
            del self._buffer[:size]
            if not self._init_done:
                if box_type in (b"moof", b"styp", b"sidx", b"mdat"):
                    raise Mp4FormatError(f"{box_type!r} before moov")
                self._init += box
                if box_type == b"moov":
                    self._init_done = True
                    out.append(("init", bytes(self._init)))
                continue
            self._pending += box
            if box_type == b"mdat":
                out.append(("fragment", bytes(self._pending)))
                self._pending.clear()
        return out

    def finish(self) -> int:
        """Bytes left over that were not part of a fragment (logged by the caller)."""
        leftover = len(self._buffer) + len(self._pending)
        self._buffer.clear()
        self._pending.clear()
        return leftover
