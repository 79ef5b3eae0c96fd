"""The ``textgrad-sci`` command. Subcommands are registered by installed packages through the
``textgrad_sci.commands`` entry-point group: each names a ``register(subparsers)`` function."""

from __future__ import annotations

import argparse
import sys
from importlib.metadata import entry_points


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("textgrad-sci")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="textgrad-sci",
        description="Automatic differentiation via text, with tool-backed scientific losses.",
    )
    parser.add_argument("--version", action="version", version=f"textgrad-sci {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for ep in sorted(entry_points(group="textgrad_sci.commands"), key=lambda e: e.name):
        try:
            register = ep.load()
        except ModuleNotFoundError as err:
            # A command whose optional dependencies are not installed says so instead of vanishing.
            missing = err.name
            sub = subparsers.add_parser(ep.name, help=f"(unavailable: {missing} is not installed)")
            sub.set_defaults(handler=lambda _args, m=missing, n=ep.name: _unavailable(n, m))
            continue
        register(subparsers)
    return parser


def _unavailable(command: str, missing: str) -> int:
    print(
        f"textgrad-sci {command}: the module {missing!r} is missing; install the extras "
        f"for this command (e.g. pip install 'textgrad-sci[all]')",
        file=sys.stderr,
    )
    return 2


def main(argv: list[str] | None = None) -> int:
    """Run a command. Bad input, an interrupted or failed run, and an engine failure each end in
    one line on stderr and a non-zero status, never a traceback."""
    import logging
    import os

    # Retry notices and the like stay quiet unless asked for: a failure is reported in one line.
    # The level is restored on return, so calling main() in process leaves logging as it was.
    logger = logging.getLogger("textgrad_sci")
    before = logger.level
    level = os.environ.get("TEXTGRAD_SCI_LOG", "error").upper()
    logger.setLevel(getattr(logging, level, logging.ERROR))
    try:
        return _run(argv)
    finally:
        logger.setLevel(before)


def _run(argv: list[str] | None) -> int:
    from .engines.base import EngineError
    from .loop import RunStopped
    from .options import UsageError

    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    name = " ".join(str(getattr(args, k)) for k in vars(args) if k.endswith("command")
                    and isinstance(getattr(args, k), str))
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, inside the handling below
        return code
    except UsageError as err:
        print(f"textgrad-sci {name}: {err}", file=sys.stderr)
        return 2
    except RunStopped as err:
        print(f"textgrad-sci {name}: {err}", file=sys.stderr)
        return err.exit_code
    except EngineError as err:
        print(f"textgrad-sci {name}: the engine failed: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"textgrad-sci {name}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


if __name__ == "__main__":
    sys.exit(main())
