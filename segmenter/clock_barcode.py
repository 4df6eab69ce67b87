"""A wall clock burned into the picture as a barcode, and its reader: glass-to-glass latency.

The publisher draws Unix milliseconds into the top of each frame (two rows of 26 black/white
cells: 4 marker cells, then 48 bits, most significant first); a viewer decodes a frame it
receives and subtracts. Cells are 1/26 of the width and 1/9 of the height, large enough to
survive scaling down to 320x180 and H.264/VP8 at low bit rates.
"""

from __future__ import annotations

import av
import numpy as np

COLUMNS = 26
ROWS = 2
MARKER = (1, 0, 1, 0)
BITS = COLUMNS * ROWS - len(MARKER)  # 48
_BLACK, _WHITE = 16, 235


def _cells(unix_ms: int) -> list[int]:
    value = unix_ms % (1 << BITS)
    data = [(value >> (BITS - 1 - i)) & 1 for i in range(BITS)]
    return [*MARKER, *data]


def draw(width: int, height: int, unix_ms: int, frame_number: int = 0) -> av.VideoFrame:
    """A yuv420p picture: the barcode on top, a moving ramp below (so encoders have work)."""
    luma = np.empty((height, width), dtype=np.uint8)
    ramp = ((np.arange(width, dtype=np.int32) * 2 + frame_number * 6) % 200 + 28).astype(np.uint8)
    luma[:] = ramp
    cell_w, cell_h = width / COLUMNS, height / 9
    for index, bit in enumerate(_cells(unix_ms)):
        row, column = divmod(index, COLUMNS)
        top, bottom = round(row * cell_h), round((row + 1) * cell_h)
        left, right = round(column * cell_w), round((column + 1) * cell_w)
        luma[top:bottom, left:right] = _WHITE if bit else _BLACK
    chroma = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, data in zip(frame.planes, (luma, chroma, chroma), strict=True):
        rows = data.shape[0]
        padded = np.zeros((rows, plane.line_size), dtype=np.uint8)
        padded[:, : data.shape[1]] = data
        plane.update(padded.tobytes())
    return frame


def read(frame: av.VideoFrame) -> int | None:
    """The Unix milliseconds drawn into `frame` (any size/format), or None if there are none."""
    gray = frame.reformat(format="gray").to_ndarray()
    height, width = gray.shape
    cell_w, cell_h = width / COLUMNS, height / 9
    bits = []
    for index in range(COLUMNS * ROWS):
        row, column = divmod(index, COLUMNS)
        # The middle half of the cell: edges blur in scaling and compression.
        top, left = int((row + 0.25) * cell_h), int((column + 0.25) * cell_w)
        bottom, right = int((row + 0.75) * cell_h) + 1, int((column + 0.75) * cell_w) + 1
        bits.append(1 if gray[top:bottom, left:right].mean() > 128 else 0)
    if tuple(bits[: len(MARKER)]) != MARKER:
        return None
    value = 0
    for bit in bits[len(MARKER) :]:
        value = (value << 1) | bit
    return value


def unwrap_ms(value: int, now_ms: int) -> int:
    """The full Unix milliseconds nearest `now_ms` whose low 48 bits are `value`."""
    period = 1 << BITS
    base = now_ms - now_ms % period + value
    return min((base - period, base, base + period), key=lambda t: abs(t - now_ms))
