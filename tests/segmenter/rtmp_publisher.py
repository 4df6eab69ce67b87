"""A real FFmpeg RTMP publisher for tests: PyAV in a subprocess, libx264 + AAC, real time.

A separate process, as OBS would be: its encoder does not compete with the server under test
for the GIL, and killing it is a realistic way to lose a publisher. Like OBS it sends B-frames
(so decode order differs from presentation order), 2 s keyframe intervals and 48 kHz AAC.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import socket
import subprocess
import sys

from swarmcast.segmenter import rtmp_amf
from swarmcast.segmenter.rtmp_chunks import MSG_COMMAND_AMF0, ChunkReader, ChunkWriter

EXIT_OK = 0
EXIT_REFUSED = 3
EXIT_DROPPED = 4

# argv = url seconds width height
_SCRIPT = r"""
import fractions, sys, time
import av, av.error, numpy as np
url, seconds, width, height = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fps, rate = 30, 48000
realtime = url.startswith("rtmp://")  # writing a file: as fast as possible
out = av.open(url, "w", format="flv")
video = out.add_stream(
    "libx264", rate=fps,
    options={"preset": "ultrafast", "x264-params": f"bframes=2:keyint={2 * fps}:scenecut=0"},
)
video.width, video.height, video.pix_fmt = width, height, "yuv420p"
audio = out.add_stream("aac", rate=rate)
audio.layout = "stereo"
ramp = np.tile(np.arange(width, dtype=np.uint8), (height, 1))
start, n_video, n_audio = time.monotonic(), 0, 0
try:
    while n_video < seconds * fps:
        t = n_video / fps
        picture = np.stack([ramp, np.roll(ramp, n_video * 4, axis=1), 128 - ramp // 2], axis=2)
        frame = av.VideoFrame.from_ndarray(picture, format="rgb24").reformat(format="yuv420p")
        frame.pts, frame.time_base = n_video, fractions.Fraction(1, fps)
        for packet in video.encode(frame):
            out.mux(packet)
        n_video += 1
        while n_audio * 1024 / rate < t:
            phase = np.arange(n_audio * 1024, (n_audio + 1) * 1024) * 2 * np.pi * 440 / rate
            tone = (0.2 * np.sin(phase)).astype(np.float32)
            sound = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp",
                                               layout="stereo")
            sound.sample_rate, sound.pts = rate, n_audio * 1024
            sound.time_base = fractions.Fraction(1, rate)
            for packet in audio.encode(sound):
                out.mux(packet)
            n_audio += 1
        delay = start + t - time.monotonic()
        if realtime and delay > 0:
            time.sleep(delay)
    for stream in (video, audio):
        for packet in stream.encode(None):
            out.mux(packet)
    out.close()
except av.error.PermissionError as exc:
    print("refused:", exc, file=sys.stderr)
    sys.exit(3)
except (av.error.FFmpegError, OSError) as exc:
    print("dropped:", exc, file=sys.stderr)
    sys.exit(4)
"""


def start_publisher(
    port: int,
    key: str,
    seconds: float,
    *,
    app: str = "live",
    width: int = 320,
    height: int = 180,
) -> subprocess.Popen[str]:
    """Publish `seconds` of a moving test picture + 440 Hz tone to rtmp://127.0.0.1:port/app/key.

    Exit codes: `EXIT_OK`, `EXIT_REFUSED` (the server said no), `EXIT_DROPPED` (lost mid-way).
    """
    url = f"rtmp://127.0.0.1:{port}/{app}/{key}"
    return subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, url, str(seconds), str(width), str(height)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def record_flv(path: str, seconds: float, *, width: int = 320, height: int = 180) -> None:
    """Write what `start_publisher` would send to an FLV file instead (not paced)."""
    subprocess.run(
        [sys.executable, "-c", _SCRIPT, path, str(seconds), str(width), str(height)],
        check=True,
        capture_output=True,
    )


def read_flv_tags(data: bytes) -> list[tuple[int, int, bytes]]:
    """(tag type, timestamp ms, body) of every tag of an FLV file."""
    header_size = int.from_bytes(data[5:9], "big")
    offset = header_size + 4
    tags = []
    while offset + 11 <= len(data):
        tag_type = data[offset]
        size = int.from_bytes(data[offset + 1 : offset + 4], "big")
        timestamp = int.from_bytes(data[offset + 4 : offset + 7], "big") | data[offset + 7] << 24
        tags.append((tag_type, timestamp, data[offset + 11 : offset + 11 + size]))
        offset += 11 + size + 4
    return tags


class RawPublisher:
    """A hand-driven RTMP publisher over a blocking socket, for feeding chosen (bad) bytes."""

    def __init__(self, port: int, key: str, app: str = "live", source: str = "") -> None:
        self.sock = socket.create_connection(
            ("127.0.0.1", port), timeout=10, source_address=(source, 0) if source else None
        )
        self.writer = ChunkWriter()
        self.reader = ChunkReader()
        self.sock.sendall(b"\x03" + bytes(1536))
        s0s1s2 = self._recv_exact(1 + 2 * 1536)
        self.sock.sendall(s0s1s2[1:1537])  # C2 echoes S1
        self.command("connect", 1.0, {"app": app, "tcUrl": f"rtmp://127.0.0.1:{port}/{app}"})
        self.command("createStream", 2.0, None)
        self.command("publish", 3.0, None, key, "live", stream_id=1)

    def _recv_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("server closed the connection")
            data += chunk
        return data

    def command(self, *values: rtmp_amf.AmfValue, stream_id: int = 0) -> None:
        payload = rtmp_amf.encode(*values)
        self.sock.sendall(self.writer.encode(3, MSG_COMMAND_AMF0, payload, stream_id=stream_id))

    def status_codes(self) -> list[str]:
        """Read replies until the publish is answered; the onStatus codes seen."""
        codes: list[str] = []
        while not codes:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("server closed the connection")
            for message in self.reader.feed(data):
                if message.type_id == MSG_COMMAND_AMF0:
                    values = rtmp_amf.decode_all(message.payload)
                    if values[0] == "onStatus" and isinstance(values[3], dict):
                        codes.append(str(values[3]["code"]))
        return codes

    def send_tag(self, tag_type: int, timestamp: int, body: bytes) -> None:
        chunk_stream = {8: 4, 9: 6}.get(tag_type, 5)
        self.sock.sendall(
            self.writer.encode(chunk_stream, tag_type, body, stream_id=1, timestamp=timestamp)
        )

    def close(self) -> None:
        self.sock.close()


def find_librtmp() -> ctypes.CDLL | None:
    """librtmp (the RTMP client OBS's own is forked from), if the system has it."""
    name = ctypes.util.find_library("rtmp")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    lib.RTMP_Alloc.restype = ctypes.c_void_p
    for function in ("RTMP_Init", "RTMP_EnableWrite", "RTMP_Close", "RTMP_Free"):
        getattr(lib, function).argtypes = [ctypes.c_void_p]
    lib.RTMP_SetupURL.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    lib.RTMP_Connect.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.RTMP_ConnectStream.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.RTMP_Write.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    lib.RTMP_LogSetLevel.argtypes = [ctypes.c_int]
    lib.RTMP_LogSetLevel(0)  # RTMP_LOGCRIT: keep its stderr chatter out of test output
    return lib


def librtmp_publish(lib: ctypes.CDLL, url: str, flv: bytes) -> bool:
    """Publish a whole FLV file through librtmp, as fast as it goes; False if refused."""
    session = lib.RTMP_Alloc()
    lib.RTMP_Init(session)
    url_buffer = ctypes.create_string_buffer(url.encode())  # librtmp keeps pointers into it
    try:
        if not lib.RTMP_SetupURL(session, url_buffer):
            raise ValueError(f"librtmp rejects the URL {url}")
        lib.RTMP_EnableWrite(session)
        if not lib.RTMP_Connect(session, None) or not lib.RTMP_ConnectStream(session, 0):
            return False
        return bool(lib.RTMP_Write(session, flv, len(flv)) == len(flv))
    finally:
        lib.RTMP_Close(session)
        lib.RTMP_Free(session)
