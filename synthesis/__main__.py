"""Entry point for ``python -m synthesis``."""

import sys

from synthesis.cli import main

sys.exit(main())
