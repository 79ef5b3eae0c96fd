"""Docking worker process. Reads jobs as JSON lines on stdin and answers one DockResult JSON line
per job on the original stdout; everything Vina prints goes to stderr. Keeps Vina's grid maps per
(target, cpu) between jobs, so only the first dock against a target pays for them."""

from __future__ import annotations

import json
import os
import sys


def main() -> int:
    results = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # C++ prints from Vina land on stderr, never in the results stream
    from .docking import DockSettings, dock_here

    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        result = dock_here(job["smiles"], job["target"], DockSettings(**job["settings"]))
        results.write(json.dumps(result.to_dict()) + "\n")
        results.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
