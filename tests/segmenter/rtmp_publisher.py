"""A real FFmpeg RTMP publisher for tests: PyAV in a subprocess, libx264 + AAC, real time.

A separate process, as OBS would be: its encoder does not compete with the server under test
for the GIL, and killing it is a realistic way to lose a publisher. Like OBS it sends B-frames
(so decode order differs from presentation order), 2 s keyframe intervals and 48 kHz AAC.
"""

from __future__ import annotations

import subprocess
import sys

EXIT_OK = 0
EXIT_REFUSED = 3
EXIT_DROPPED = 4

# argv = url seconds width height
_SCRIPT = r"""
import fractions, sys, time
import av, av.error, numpy as np
url, seconds, width, height = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
fps, rate = 30, 48000
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
        if delay > 0:
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
