"""`?`: keys, and what the filter can name."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# respdeck browse

- **↑ ↓ PgUp PgDn Home End**: move in the list (rows load a page at a time; keys typed while
  they load are kept), or scroll the detail tab when the keyboard is in it
- **Enter**: go into the detail tab on screen; **Esc** comes back to the list
- **/**: filter, a SQL `WHERE` over the exchanges view; Enter applies it
- **f**: search the text of input and output items
- **s**, **r**, a click on a header: sort by the next column, reverse, sort by that column
- **g**: group by capture, by thread, or not at all
- **1** … **6**: show a detail tab and go into it (Conversation, Events, Usage & timing,
  Request, Raw, Findings); **Esc** comes back to the list
- **t**: the thread of the selected exchange (its chain of responses)
- **u**: usage charts, tokens and cost by model and by day
- **e**: export the selected exchange in any format (har, vcr, jsonl, batch, curl, raw)
- **m**: mark the selected exchange (again: unmark); **d** on another one: the diff of the
  two by meaning (request, input items, output, usage and timing; sections with no
  difference folded, **+**/**-** expand or fold all, **s** word diffs side by side or
  inline; **e**/**x** export it as JSON or text)
- **d** in the thread view: a turn's request against the previous turn's
- **p**: play the selected exchange back as it arrived (the tape deck): the conversation
  grows event by event at the recorded pace, the timeline's cursor follows, a wait shows
  how long the client sat in each gap (red past a second). **space** pauses and plays,
  **1** / **2** / **0** play at x1, x2, x10, **n** one event more (paused), **t** the next
  turn of a WebSocket session, **r** from the start, **Esc** back
- **R**: re-send the selected exchange's request: edit the model, reasoning effort,
  temperature, instructions, tools (a checkbox each) or the raw JSON, see the estimated
  cost, **ctrl+s** sends it (to the upstream given, default `$OPENAI_BASE_URL` or where it
  went; the key from `$OPENAI_API_KEY`, never stored); the answer is recorded linked to the
  original and the diff of the two opens (as `respdeck resend` does)
- **ctrl+p**: the command palette; **q**: quit

## The filter

Any SQL expression DuckDB accepts over these columns: every column of `exchanges`
(`endpoint`, `model`, `status`, `streamed`, `partial`, `aborted`, `error_code`,
`response_id`, `previous_response_id`, `conversation_id`, `key_fingerprint`, `started_at`,
`ttfb_ms`, `duration_ms`, `capture_id`, `host`, `path`, ...) and the computed ones:
`input_tokens`, `cached_tokens`, `output_tokens`, `reasoning_tokens`, `total_tokens`,
`cost_usd`, `response_status`, `ttft_ms`, `findings`, `worst_severity`, `thread_id`.

    model LIKE 'gpt-5%' AND cost_usd > 0.01
    status >= 400 OR error_code IS NOT NULL
    findings > 0 AND started_at > now() - INTERVAL 1 HOUR

To go to one exchange, filter with `id:` and the start of its id (at least 4 hex digits, as
`respdeck check` and the thread screen show them; hyphens optional), or paste a response id
(`resp_...`): the filter becomes `exchange_id = '...'`.

A filter DuckDB refuses shows its message under the bar; the list keeps the last good result.
Filters on exchanges columns are instant on millions of rows; computed columns cost a scan.

On a database a recorder is writing (live), new exchanges appear within a second.
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "dismiss", "Close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP)
