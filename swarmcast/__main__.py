"""`python -m swarmcast ...`: the same as the `swarmcast` command."""

from __future__ import annotations

import sys

from swarmcast.server.cli import main

if __name__ == "__main__":
    sys.exit(main())
