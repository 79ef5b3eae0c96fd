"""Settings: one frozen dataclass per command, its CLI options generated from its fields, and the
options every run command shares (``--engine``, ``--run-dir``, ``--resume``, ``--quiet``).

A field's ``metadata`` may hold ``help``, ``choices``, ``flag`` (the option's name), ``local``
(the default when the engine is the embedded local model: first runs sized for it), ``nargs``
(a tuple field given as ``--opt a b c`` instead of a repeated ``--opt a``) and ``cli=False``
(not an option). A resumed run reuses its saved settings; options given explicitly
override them.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

from .run import Run, default_run_dir

C = TypeVar("C")


class UsageError(ValueError):
    """Bad input to a command: printed as one line, exit status 2."""


def setting(default: Any, help: str = "", **metadata: Any) -> Any:
    """A config field with its CLI help (``choices=``, ``flag=``, ``cli=False`` also allowed)."""
    if isinstance(default, (list, dict, set)):
        raise TypeError("use a tuple for a sequence default (configs are frozen)")
    return dataclasses.field(default=default, metadata={"help": help, **metadata})


def _base_type(hint: Any) -> tuple[Any, bool]:
    """(the type, whether it is a tuple of that type) of an annotation like ``int | None``."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _base_type(args[0]) if len(args) == 1 else (str, False)
    if origin is tuple:
        return typing.get_args(hint)[0], True
    return hint, False


def add_config_options(parser: argparse.ArgumentParser, cls: type) -> None:
    """One option per field of ``cls``; every default is None so that given options are known."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("cli") is False:
            continue
        kind, many = _base_type(hints[f.name])
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help", "")
        if kind is bool:
            if f.default is True:
                flag = f.metadata.get("flag") or "--no-" + f.name.replace("_", "-")
                parser.add_argument(flag, dest=f.name, action="store_const", const=False,
                                    default=None, help=help_text)
            else:
                parser.add_argument(flag, dest=f.name, action="store_const", const=True,
                                    default=None, help=help_text)
            continue
        shown = "" if f.default in (None, ()) else f" (default {f.default})"
        if "local" in f.metadata:
            shown = f" (default {f.default}; {f.metadata['local']} with the local model)"
        kwargs: dict[str, Any] = {"dest": f.name, "default": None, "help": help_text + shown,
                                  "type": kind}
        if f.metadata.get("choices"):
            kwargs["choices"] = f.metadata["choices"]
        if many and f.metadata.get("nargs"):
            kwargs["nargs"] = f.metadata["nargs"]
        elif many:
            kwargs["action"] = "append"
        parser.add_argument(flag, **kwargs)


def add_run_options(parser: argparse.ArgumentParser, command: str, engine: bool = True) -> None:
    """The options every run command has."""
    if engine:
        parser.add_argument("--engine", default=None,
                            help="engine spec (default: $TEXTGRAD_SCI_ENGINE, else 'local')")
    parser.add_argument("--run-dir", default=None,
                        help=f"run directory (default runs/{command}-<UTC time>; an existing run "
                        "there is resumed)")
    parser.add_argument("--resume", default=None, metavar="RUN_DIR",
                        help="continue the run in this directory with its saved settings")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def is_local(spec: str | None) -> bool:
    """Whether an engine spec names the embedded local model."""
    return bool(spec) and spec.split("?")[0].split(":")[0] == "local"


def config_from(
    cls: type[C], args: argparse.Namespace, saved: dict | None = None, local: bool = False
) -> C:
    """``cls`` from the saved settings (a resumed run), overridden by options given in ``args``;
    for a new run on the local model, fields with a ``local`` default take it."""
    names = {f.name for f in dataclasses.fields(cls)}
    if saved is None and local:
        values = {f.name: f.metadata["local"] for f in dataclasses.fields(cls)
                  if "local" in f.metadata}
    else:
        values = {}
    values.update({k: v for k, v in (saved or {}).items() if k in names})
    hints = typing.get_type_hints(cls)
    for name in names:
        given = getattr(args, name, None)
        if given is not None:
            values[name] = given
    for name, value in list(values.items()):
        if isinstance(value, list) and _base_type(hints[name])[1]:
            values[name] = tuple(value)
    try:
        return cls(**values)
    except (TypeError, ValueError) as err:
        raise UsageError(str(err)) from None


def run_directory(args: argparse.Namespace, command: str) -> Path:
    return Path(args.resume or args.run_dir or default_run_dir(command))


def open_run(
    args: argparse.Namespace, command: str, cls: type[C], engine_default: str | None = None
) -> tuple[Run, C, str | None]:
    """The run directory (a new one, or the saved run to resume), its settings and engine spec.

    The run's ``config`` holds the settings (``dataclasses.asdict``) and ``engine`` (the spec).
    """
    directory = run_directory(args, command)
    saved = Run.saved_config(directory)
    if args.resume and saved is None:
        raise UsageError(f"--resume {args.resume}: no run there (run.json is missing)")
    spec = getattr(args, "engine", None) or (saved or {}).get("engine") or engine_default
    if spec is None and hasattr(args, "engine"):
        from .config import default_engine_spec

        spec = default_engine_spec()
    config = config_from(cls, args, saved, local=is_local(spec))
    if saved is not None:
        _note_resumed(directory, cls, args, saved)
    record = {**dataclasses.asdict(config), "engine": spec}
    run = Run(directory, record, spec)
    run.set_config(record)  # a resumed run takes the options given now (e.g. more steps)
    return run, config, spec


def _note_resumed(directory: Path, cls: type, args: argparse.Namespace, saved: dict) -> None:
    """Say which saved settings (those not at their defaults, and not given now) the resumed
    run keeps, so that ``--resume DIR`` alone visibly continues the same job."""
    import sys

    kept = [f.name for f in dataclasses.fields(cls)
            if f.name in saved and getattr(args, f.name, None) is None
            and _plain(saved[f.name]) != _plain(f.default)]
    if kept:
        print(f"note: resuming {directory} with its recorded {', '.join(kept)}", file=sys.stderr)


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
