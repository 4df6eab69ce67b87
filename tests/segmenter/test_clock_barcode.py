"""The burned-in clock survives scaling and low-rate H.264, and is not read where absent."""

from __future__ import annotations

import io

import av

from swarmcast.segmenter import clock_barcode


def test_barcode_survives_scaling_and_h264() -> None:
    start = 1_796_000_000_123
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.bit_rate = 100_000
        for n in range(30):
            frame = clock_barcode.draw(640, 360, start + n * 33, n).reformat(320, 180)
            frame.pts = n
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    buffer.seek(0)
    with av.open(buffer) as decoded:
        read = [clock_barcode.read(frame) for frame in decoded.decode(video=0)]
    assert read == [start + n * 33 for n in range(30)]


def test_no_barcode_reads_none() -> None:
    frame = av.VideoFrame(320, 180, "yuv420p")
    for plane in frame.planes:
        plane.update(bytes([128]) * plane.buffer_size)
    assert clock_barcode.read(frame) is None


def test_unwrap_ms() -> None:
    now = 1_796_000_000_000
    low = (now - 250) % (1 << clock_barcode.BITS)
    assert clock_barcode.unwrap_ms(low, now) == now - 250
