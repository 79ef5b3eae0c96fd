"""Tool-backed losses: numbers from real tools (RDKit, Vina, sandboxed tests, dose simulator),
rendered as text."""
