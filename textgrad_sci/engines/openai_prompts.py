"""Prompts the HTTP engine adds when it asks a server for structured output (data, not code)."""

# After the messages, when a JSON schema cannot be enforced by the server (json_object / text).
SCHEMA_HINT = "Answer with a JSON document that matches this JSON schema, and nothing else:\n"

# After the messages, when a tag format is asked for as JSON ({"TAG": "..."}).
TAG_AS_JSON_HINT = (
    'Answer with a JSON object {{"{tag}": "..."}} whose value is exactly what you would write '
    "between <{tag}> and </{tag}>, and nothing else."
)
