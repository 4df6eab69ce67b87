"""The operator's token-minting example in docs/protocol.md §3 really mints valid tokens."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from swarmcast.protocol import tokens

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_documented_backend_example_mints_tokens_signaling_accepts() -> None:
    section = DOC.read_text().split("## 3. Viewer tokens", 1)[1].split("## 4.", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    namespace: dict[str, Any] = {}
    exec(code, namespace)  # our own documentation's code
    secret = b"operator-shared-secret-0123456789"
    token = namespace["viewer_token"](secret, "demo", "user-42")
    claims = tokens.verify(token, secret, time.time(), stream="demo")
    assert claims.sub == "user-42" and not claims.seeder
