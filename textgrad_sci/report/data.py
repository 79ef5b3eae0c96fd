"""The data a run report is built from: read a run directory (finished, running or killed) into
plain dicts and lists. Everything passes through ``redact`` before it reaches the page."""

from __future__ import annotations

import base64
import json
import mimetypes
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..run import read_jsonl
from ..secrets import redact
from .charts import score_charts
from .diff import diff_stats, text_diff
from .layout import layout_graph
from .normalize import normalize_step
from .sections import domain_sections, run_view

KNOWN_STEP_KEYS = {
    "step",
    "time",
    "parameters",
    "losses",
    "graph",
    "updates",
    "optimizer",
    "usage",
    "timings",
}
USAGE_FIELDS = (
    "calls",
    "prompt_tokens",
    "completion_tokens",
    "cache_hits",
    "retries",
    "failures",
    "cost_usd",
    "seconds",
)
IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp"}
TEXT_FILE_TYPES = {".txt", ".json", ".md", ".csv", ".tsv", ".log"}
RUN_FILES = {"run.json", "steps.jsonl", "events.jsonl", "report.html"}
MAX_FILE_BYTES = 200_000
MAX_TEXT = 20_000
"""Longer texts are cut on the page (the run directory keeps them whole)."""
COLLAPSE_CHARS = 500
COLLAPSE_LINES = 12


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


def long_text(value: Any) -> dict:
    """A text with a one-line preview and whether it should start collapsed."""
    text = _text(value)
    full = len(text)
    if full > MAX_TEXT:
        text = text[:MAX_TEXT] + f"\n… [{full - MAX_TEXT} more characters in the run directory]"
    first = " ".join(text[:2000].split())
    collapsed = len(text) > COLLAPSE_CHARS or text.count("\n") >= COLLAPSE_LINES
    return {
        "text": text,
        "preview": first if len(first) <= 110 else first[:109] + "…",
        "collapsed": collapsed,
        "chars": full,
    }


def flatten(obj: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested settings as ``(dotted key, value text)`` rows."""
    if isinstance(obj, dict):
        rows: list[tuple[str, str]] = []
        for key, value in obj.items():
            rows.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    if obj is None and not prefix:
        return []
    return [(prefix or "value", _text(obj) if not isinstance(obj, str) else obj)]


def _usage(raw: Any) -> dict:
    raw = raw if isinstance(raw, dict) else {}
    out = {}
    for f in USAGE_FIELDS:
        value = raw.get(f, 0)
        out[f] = value if isinstance(value, int | float) and not isinstance(value, bool) else 0
    return out


def _add_usage(into: dict, other: dict) -> None:
    for f in USAGE_FIELDS:
        into[f] = into.get(f, 0) + other.get(f, 0)


def _round_usage(u: dict) -> dict:
    return {**u, "cost_usd": round(u["cost_usd"], 6), "seconds": round(u["seconds"], 3)}


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt_number(value: Any) -> str:
    if _numeric(value):
        return f"{value:.4g}" if isinstance(value, float) else str(value)
    return _text(value)


def load_run(run_dir: str | os.PathLike) -> dict:
    """The raw files of a run directory: ``meta``, ``steps``, ``events`` (all redacted) and the
    paths of its images. Missing files read as empty; a torn last line is ignored."""
    path = Path(run_dir)
    if not path.is_dir():
        raise FileNotFoundError(f"no run directory at {path}")
    meta: dict = {}
    meta_file = path / "run.json"
    if meta_file.exists():
        try:
            loaded = json.loads(meta_file.read_text(encoding="utf-8"))
            meta = loaded if isinstance(loaded, dict) else {"run.json": loaded}
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            meta = {"unreadable": f"run.json could not be read: {err}"}
    steps = [normalize_step(s, i) for i, s in enumerate(read_jsonl(path / "steps.jsonl"))]
    events = [
        e if isinstance(e, dict) else {"kind": "event", "message": e}
        for e in read_jsonl(path / "events.jsonl")
    ]
    plots_dir = path / "plots"
    images = (
        sorted(p for p in plots_dir.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_TYPES)
        if plots_dir.is_dir()
        else []
    )
    files = sorted(
        p
        for p in path.iterdir()
        if p.is_file()
        and p.name not in RUN_FILES
        and p.suffix.lower() in TEXT_FILE_TYPES
        and p.stat().st_size <= MAX_FILE_BYTES
    )
    return {
        "path": path,
        "files": files,
        "meta": redact(meta),
        "steps": redact(steps),
        "events": redact(events),
        "images": images,
    }


def embed_image(path: Path, root: Path) -> dict:
    """An image file as a ``data:`` URI (base64), named relative to the run directory."""
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix.lower() == ".svg":
        mime = "image/svg+xml"
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return {
        "name": path.relative_to(root).as_posix(),
        "uri": f"data:{mime};base64,{data}",
        "bytes": path.stat().st_size,
    }


def _read_text(path: Path) -> str:
    try:
        return redact(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as err:
        return f"(could not be read: {err})"


def _status(meta: dict, steps: list[dict]) -> dict:
    state = str(meta.get("status") or "unknown")
    note = ""
    if state == "running":
        note = (
            "no finish was recorded: the run is still going, or it was stopped; "
            "this page shows the steps completed so far"
        )
    return {
        "state": state,
        "label": "running or stopped" if state == "running" else state,
        "note": note,
        "created": meta.get("created", ""),
        "finished": meta.get("finished", ""),
        "resumed": meta.get("resumed", 0),
        "last_step_time": steps[-1].get("time", "") if steps else "",
    }


def _node_view(node: dict, params: dict, diffs: dict, updates: dict) -> dict:
    name = str(node.get("name", node.get("id")))
    data = node.get("data") if isinstance(node.get("data"), dict) else {}
    feedback = []
    for f in node.get("feedback") or []:
        f = f if isinstance(f, dict) else {"text": f}
        extra = {k: v for k, v in f.items() if k not in ("text", "source")}
        feedback.append(
            {
                "source": str(f.get("source") or ""),
                "text": long_text(f.get("text", "")),
                "context": [(k, _text(v)) for k, v in extra.items() if k != "via"],
                "via": _text(f.get("via", "")),
            }
        )
    return {
        "id": node.get("id"),
        "name": name,
        "role": _text(node.get("role") or ""),
        "function": node.get("function") or "",
        "requires_grad": bool(node.get("requires_grad")),
        "value": long_text(node.get("value", "")),
        "data": [(str(k), _fmt_number(v)) for k, v in data.items()],
        "feedback": feedback,
        "is_parameter": name in params,
        "diffs": diffs.get(name, {}),
        "update_report": updates.get(name),
    }


def _update_view(u: Any) -> dict:
    u = u if isinstance(u, dict) else {"variable": "?", "reason": _text(u)}
    errors = [_text(e) for e in u.get("errors") or []]
    return {
        "variable": str(u.get("variable", "?")),
        "accepted": bool(u.get("accepted")),
        "attempts": u.get("attempts", 0),
        "errors": errors,
        "reason": _text(u.get("reason", "")),
        "score_before": _fmt_number(u["score_before"]) if u.get("score_before") is not None else "",
        "score_after": _fmt_number(u["score_after"]) if u.get("score_after") is not None else "",
        "new_value": long_text(u["new_value"]) if u.get("new_value") is not None else None,
    }


def _param_diffs(steps: list[dict]) -> list[dict]:
    """Per step: ``{name: {prev: rows, first: rows, changed, stats}}`` for each parameter."""
    first_values: dict[str, str] = {}
    previous: dict[str, str] = {}
    out = []
    for s in steps:
        params = s.get("parameters") if isinstance(s.get("parameters"), dict) else {}
        diffs = {}
        updates = {str(u.get("variable")): u for u in s.get("updates") or [] if isinstance(u, dict)}
        for name, value in params.items():
            value = _text(value)
            before = previous.get(name)
            if before is None and name in updates:
                before = _text(updates[name].get("old_value", value))
            first = first_values.setdefault(name, before if before is not None else value)
            prev_rows = text_diff(before, value) if before is not None else []
            diffs[name] = {
                "prev": prev_rows,
                "first": prev_rows if first == before else text_diff(first, value),
                "changed": bool(prev_rows),
                "stats": diff_stats(prev_rows),
                "has_prev": before is not None,
            }
            previous[name] = value
        out.append(diffs)
    return out


def _step_view(s: dict, diffs: dict) -> dict:
    params = s.get("parameters") if isinstance(s.get("parameters"), dict) else {}
    updates = [_update_view(u) for u in s.get("updates") or []]
    by_var = {u["variable"]: u for u in updates}
    graph = s.get("graph") if isinstance(s.get("graph"), dict) else {}
    layout = layout_graph(graph, set(params))
    graph_nodes = graph.get("nodes") if isinstance(graph.get("nodes"), list) else []
    nodes = [_node_view(n, params, diffs, by_var) for n in graph_nodes if isinstance(n, dict)]
    losses = s.get("losses") if isinstance(s.get("losses"), dict) else {}
    usage_raw = s.get("usage") if isinstance(s.get("usage"), dict) else {}
    by_node = usage_raw.get("by_node") if isinstance(usage_raw.get("by_node"), dict) else {}
    timings = s.get("timings") if isinstance(s.get("timings"), dict) else {}
    extras = [(str(k), long_text(v)) for k, v in s.items() if k not in KNOWN_STEP_KEYS]
    return {
        "step": s["step"],
        "time": _text(s.get("time", "")),
        "losses": [(str(k), _fmt_number(v)) for k, v in losses.items()],
        "parameters": [
            {"name": str(k), "value": long_text(v), **diffs.get(str(k), {})}
            for k, v in params.items()
        ],
        "graph": layout,
        "nodes": nodes,
        "updates": updates,
        "n_accepted": sum(u["accepted"] for u in updates),
        "n_retries": sum(
            max(int(u["attempts"] or 0) - 1, 0) for u in updates if isinstance(u["attempts"], int)
        ),
        "usage": _round_usage(_usage(usage_raw.get("total"))),
        "usage_by_node": [(str(k), _round_usage(_usage(v))) for k, v in by_node.items()],
        "timings": [(str(k), _fmt_number(v)) for k, v in timings.items()],
        "extras": extras,
    }


def _safe_step_view(s: dict, diffs: dict) -> dict:
    """The step's view; a record the report cannot lay out still shows, as its raw text."""
    try:
        return _step_view(s, diffs)
    except Exception as err:  # the page must still be written
        bare = normalize_step({"step": s["step"], "time": s.get("time")}, s["step"])
        view = _step_view(bare, {})
        view["extras"] = [
            ("this step could not be laid out", long_text(f"{type(err).__name__}: {err}")),
            ("raw record", long_text(s)),
        ]
        return view


def _failures(steps: list[dict], events: list[dict]) -> list[dict]:
    """Events (failed steps, retries, notes) and rejected or retried parameter updates."""
    rows = []
    for e in events:
        detail = {k: v for k, v in e.items() if k not in ("time", "kind", "step")}
        rows.append(
            {
                "time": _text(e.get("time", "")),
                "step": e.get("step", ""),
                "kind": _text(e.get("kind", "event")),
                "message": long_text(detail if len(detail) != 1 else next(iter(detail.values()))),
            }
        )
    for s in steps:
        for u in s.get("updates") or []:
            if not isinstance(u, dict):
                continue
            errors = [_text(e) for e in u.get("errors") or []]
            if errors:
                kind = "update retried" if u.get("accepted") else "update failed"
                message = f"{u.get('variable')}: " + " | ".join(errors)
            elif not u.get("accepted") and str(u.get("reason", "")).startswith("rejected"):
                kind, message = "update rejected", f"{u.get('variable')}: {u.get('reason')}"
            else:
                continue
            rows.append(
                {
                    "time": _text(s.get("time", "")),
                    "step": s["step"],
                    "kind": kind,
                    "message": long_text(message),
                }
            )
    return rows


def _roles(step_views: list[dict]) -> dict[str, str]:
    """What each usage label stands for: a node's role, or the update of a parameter."""
    roles: dict[str, str] = {}
    for view in step_views:
        for node in view["nodes"]:
            roles.setdefault(node["name"], node["role"])
        for name, _ in view["usage_by_node"]:
            if name.endswith(":update"):
                roles.setdefault(name, f"optimizer update of {name[: -len(':update')]}")
    return roles


def build_page_data(run_dir: str | os.PathLike) -> dict:
    """Everything the report page shows, as plain data (see the template for how)."""
    run = load_run(run_dir)
    meta, steps, events = run["meta"], run["steps"], run["events"]
    diffs = _param_diffs(steps)
    step_views = [_safe_step_view(s, d) for s, d in zip(steps, diffs, strict=True)]

    total: dict = {f: 0 for f in USAGE_FIELDS}
    by_node: dict[str, dict] = {}
    for view in step_views:
        _add_usage(total, view["usage"])
        for name, u in view["usage_by_node"]:
            _add_usage(by_node.setdefault(name, {f: 0 for f in USAGE_FIELDS}), u)
    roles = _roles(step_views)
    engine = meta.get("engine")
    notebook, section_problems = domain_sections(run_view(run))
    return {
        "notebook": notebook,
        "section_problems": section_problems,
        "summary_json": json.dumps(meta.get("summary"), indent=2, ensure_ascii=False, default=str)
        if meta.get("summary") is not None
        else "",
        "title": f"textgrad-sci run {run['path'].resolve().name}",
        "run_dir": str(run["path"]),
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "status": _status(meta, steps),
        "config": flatten(meta.get("config") or {}),
        "engine": flatten(engine) if isinstance(engine, dict) else flatten({"engine": engine}),
        "summary": flatten(meta.get("summary") or {}),
        "other_meta": [
            (k, long_text(v))
            for k, v in meta.items()
            if k
            not in (
                "config",
                "engine",
                "summary",
                "status",
                "created",
                "finished",
                "resumed",
                "usage",
            )
        ],
        "steps": step_views,
        "n_steps": len(step_views),
        "charts": score_charts(steps),
        "usage_total": _round_usage(total),
        "usage_meta": _round_usage(_usage(meta["usage"]))
        if isinstance(meta.get("usage"), dict)
        else None,
        "usage_by_node": sorted(
            ((k, _round_usage(v)) for k, v in by_node.items()), key=lambda kv: -kv[1]["calls"]
        ),
        "roles": roles,
        "failures": _failures(steps, events),
        "plots": [embed_image(p, run["path"]) for p in run["images"]],
        "files": [(p.name, long_text(_read_text(p))) for p in run["files"]],
    }
