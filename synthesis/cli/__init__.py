"""Command line of the engine: ``python -m synthesis COMMAND ...``.

Each command lives in its own module of this package and exposes
``add_parser(subparsers)``, which registers the sub-command and sets
``run=<callable(args) -> int>`` as its default. Commands are discovered, so
adding a module adds a command. Errors the engine raises on purpose
(:class:`synthesis.errors.SynthesisError`) are printed without a traceback
and give exit status 2, as argparse does for bad arguments.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence

from synthesis.errors import SynthesisError


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every discovered sub-command."""
    parser = argparse.ArgumentParser(
        prog="python -m synthesis",
        description="Evidence synthesis for BCMA CAR-T studies in RRMM.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SynthesisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early: not an error of ours. Point
        # stdout at devnull so the interpreter's final flush does not fail too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
