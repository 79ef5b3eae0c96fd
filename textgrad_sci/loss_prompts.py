"""Prompts of the text losses (data, not logic)."""

MULTI_FIELD_PROMPT = "{instruction}\n\n{fields}"
FIELD = "<{role}>\n{value}\n</{role}>"
