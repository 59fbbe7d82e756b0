"""`python -m bot`: the same command line as `forkom-bot` (see `bot.ops.cli`)."""

from __future__ import annotations

import sys

from bot.ops.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
