"""Applications: molecule, code, radiotherapy and prompt optimization."""
