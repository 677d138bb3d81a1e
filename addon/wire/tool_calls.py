"""Which item answers which: a call the model made for the client to run, and the type of the
output item the client sends back for it (matched by `call_id`). One definition for the
store's tool_calls view, the TUI's conversation and the diff."""

from __future__ import annotations

CALL_OUTPUT_TYPES: dict[str, str] = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "computer_call": "computer_call_output",
    "shell_call": "shell_call_output",
    "apply_patch_call": "apply_patch_call_output",
    "local_shell_call": "local_shell_call_output",
    "tool_search_call": "tool_search_output",
}
OUTPUT_CALL_TYPES: dict[str, str] = {v: k for k, v in CALL_OUTPUT_TYPES.items()}
