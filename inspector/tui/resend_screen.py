"""`R`: re-send the selected exchange's request, edited or not, and compare the answers.

The panel edits the recorded body by fields (model, reasoning effort, temperature,
instructions, a checkbox per tool) or as raw JSON, shows what it will cost, sends it to the
upstream given (default `$OPENAI_BASE_URL`, else where it was sent; the key from
`$OPENAI_API_KEY`) through `inspector.resend` in a thread worker, and opens the diff of the
new exchange against the original. The new exchange is recorded in a capture of its own and
linked to the original (the `resends` table), and the list below shows it."""

from __future__ import annotations

import threading
import time
from typing import Any, ClassVar

import duckdb
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Checkbox, Footer, Input, Label, Select, Static, TextArea

from addon.store.db import StoreError, open_scratch
from addon.store.reader import Reader, error_text
from inspector.resend.edit import EditError, Edits, apply_edits, parse_edited, pretty
from inspector.resend.run import Options

from .messages import StoreOpened
from .resend_form import EFFORTS, Fields, edited_model, edits_of, fields_of, tool_label, tools_of
from .resend_work import (
    KEY_ENV,
    Original,
    Sent,
    SoFar,
    estimate_line,
    options,
    read_original,
    send,
    watch_answer,
)

UNSET = "(not set)"
WEBSOCKET_RAW = (
    "A WebSocket session sends a body per turn: the fields apply to each turn's "
    "response.create (its first is shown here)."
)


class OriginalRead(Message, bubble=False):
    def __init__(self, original: Original | None, error: str = "") -> None:
        super().__init__()
        self.original = original
        self.error = error


class Estimated(Message, bubble=False):
    def __init__(self, line: str) -> None:
        super().__init__()
        self.line = line


class Resent(Message, bubble=False):
    def __init__(self, sent: Sent, store: Reader | None, error: str = "") -> None:
        super().__init__()
        self.sent = sent
        self.store = store
        self.error = error  # the database could not be opened to read again


class AnswerGrew(Message, bubble=False):
    """The answer being received, as far as it has come (posted by the sending thread)."""

    def __init__(self, so_far: SoFar) -> None:
        super().__init__()
        self.so_far = so_far


class ResendScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "send", "Send", priority=True),
        Binding("ctrl+r", "fields_to_raw", "Raw JSON from the fields", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    def __init__(self, store: Reader, exchange_id: str) -> None:
        super().__init__()
        self.store = store
        self.exchange_id = exchange_id
        self.original: Original | None = None
        self.generated = ""  # the raw JSON the fields made (the text differs: edited by hand)
        self.sending_since: float | None = None
        self.answer: SoFar | None = None  # the answer as far as it has arrived while sending
        self.sent: Sent | None = None
        self._scratch: duckdb.DuckDBPyConnection | None = None
        self._scratch_lock = threading.Lock()  # one estimate at a time on the scratch store
        self._closed = False

    def compose(self) -> ComposeResult:
        yield Static("respdeck · re-send", classes="title-bar", markup=False)
        yield Static("Reading the recorded request…", id="resend-facts", markup=False)
        with Horizontal(id="resend-form"):
            with VerticalScroll(id="resend-fields"):
                yield Label("Upstream (the key is read from $" + KEY_ENV + ")")
                yield Input(
                    id="resend-upstream", placeholder="https://api.openai.com", compact=True
                )
                yield Label("Model")
                yield Input(id="resend-model", compact=True)
                yield Label("Reasoning effort")
                choices = [(UNSET, UNSET), *((e, e) for e in EFFORTS)]
                yield Select(
                    choices, id="resend-effort", allow_blank=False, value=UNSET, compact=True
                )
                yield Label("Temperature")
                yield Input(id="resend-temperature", placeholder=UNSET, compact=True)
                yield Label("Instructions")
                yield TextArea(id="resend-instructions", compact=True)
                yield Label("Tools (unchecked: left out)")
                yield Vertical(id="resend-tools")
            with Vertical(id="resend-raw-box"):
                yield Label("Raw JSON (edit it to send exactly that; ctrl+r: from the fields)")
                yield TextArea(id="resend-raw", show_line_numbers=True, compact=True)
        yield Static("", id="resend-estimate", markup=False)
        yield Static("", id="resend-progress", markup=False)
        yield Static("", id="resend-live", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#resend-form").disabled = True
        self.read()
        self.set_interval(0.1, self._tick)

    def on_unmount(self) -> None:
        """The scratch store goes with the panel: now, or when an estimate still running on
        it ends (the panel does not wait for it)."""
        self._closed = True
        if self._scratch_lock.acquire(blocking=False):
            try:
                self._close_scratch()
            finally:
                self._scratch_lock.release()

    def closed(self) -> bool:
        """The panel has gone (read afresh: a worker's second look must not be narrowed)."""
        return self._closed

    def _close_scratch(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    # -- reading the original ---------------------------------------------------------------

    @work(thread=True, exclusive=True, group="resend-read")
    def read(self) -> None:
        if self.store.live:
            self.post_message(
                OriginalRead(None, "a recorder holds this database: re-send once it has stopped")
            )
            return
        try:
            with self.store.cursor("aux") as cur:
                original = read_original(cur.cur, self.exchange_id)
        except duckdb.Error as exc:
            self.post_message(OriginalRead(None, error_text(exc)))
            return
        except StoreError as exc:  # an exchange gone meanwhile (UnknownId) among them
            self.post_message(OriginalRead(None, str(exc)))
            return
        self.post_message(OriginalRead(original))

    def on_original_read(self, message: OriginalRead) -> None:
        original = message.original
        facts = self.query_one("#resend-facts", Static)
        if original is None:
            facts.update(Text(f"✗ {message.error}", style="bold red"))
            return
        self.original = original
        self.query_one(".title-bar", Static).update(f"respdeck · re-send {original.label}")
        if original.refused:
            facts.update(Text("not sent: " + "; ".join(original.refused), style="bold red"))
            return
        facts.update("\n".join(original.lines))
        self.query_one("#resend-upstream", Input).value = original.upstream
        body = original.body
        form = self.query_one("#resend-form")
        form.disabled = False
        if body is None:  # not JSON: it can only go out as recorded
            for widget in form.query("Input, Select, TextArea"):
                widget.disabled = widget.id != "resend-upstream"
            self._estimate()
            return
        self._fill(fields_of(body), body)
        self.query_one("#resend-model", Input).focus()

    def _fill(self, fields: Fields, body: dict[str, Any]) -> None:
        self.query_one("#resend-model", Input).value = fields.model
        effort = self.query_one("#resend-effort", Select)
        if fields.effort is not None and fields.effort not in EFFORTS:  # a newer one
            effort.set_options([(UNSET, UNSET), *((e, e) for e in (*EFFORTS, fields.effort))])
        effort.value = fields.effort or UNSET
        self.query_one("#resend-temperature", Input).value = fields.temperature
        self.query_one("#resend-instructions", TextArea).load_text(fields.instructions)
        tools = self.query_one("#resend-tools", Vertical)
        tools.mount_all(
            Checkbox(tool_label(t), True, id=f"resend-tool-{n}", compact=True)
            for n, t in enumerate(tools_of(body))
        )
        if not fields.tools:
            tools.mount(Static("(none)", classes="resend-none"))
        raw = self.query_one("#resend-raw", TextArea)
        raw.read_only = self.original is not None and self.original.websocket
        self._changed()

    # -- the fields and the raw JSON --------------------------------------------------------

    def fields(self) -> Fields:
        effort = self.query_one("#resend-effort", Select).value
        return Fields(
            model=self.query_one("#resend-model", Input).value,
            effort=effort if isinstance(effort, str) and effort != UNSET else None,
            temperature=self.query_one("#resend-temperature", Input).value,
            instructions=self.query_one("#resend-instructions", TextArea).text,
            tools=tuple(c.value for c in self.query(Checkbox)),
        )

    @property
    def raw_edited(self) -> bool:
        return self.query_one("#resend-raw", TextArea).text != self.generated

    def edits(self) -> Edits:
        """What the panel would send, as edits of the recorded body; EditError if invalid."""
        body = self.original.body if self.original is not None else None
        if body is None:
            return Edits()
        if self.raw_edited and not (self.original and self.original.websocket):
            edited = parse_edited(self.query_one("#resend-raw", TextArea).text)
            return Edits(replacement=edited) if edited != body else Edits()
        return edits_of(body, self.fields())

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    @on(TextArea.Changed, "#resend-instructions")
    def _field_changed(self) -> None:
        self._changed()

    @on(TextArea.Changed, "#resend-raw")
    def _raw_changed(self) -> None:
        self._changed(from_fields=False)

    def _changed(self, from_fields: bool = True) -> None:
        """A field or the raw JSON changed: the raw JSON follows the fields (unless edited
        by hand), the hint says what goes out, the estimate follows the model."""
        original = self.original
        if original is None or original.body is None:
            return
        hint = self.query_one("#resend-progress", Static)
        try:
            if from_fields and not (self.raw_edited and self.generated):
                text = pretty(apply_edits(original.body, edits_of(original.body, self.fields())))
                self.generated = text
                raw = self.query_one("#resend-raw", TextArea)
                if raw.text != text:
                    raw.load_text(text)
            edits = self.edits()
        except EditError as exc:
            hint.update(Text(f"✗ {exc}", style="bold red"))
            return
        if original.websocket:
            said = WEBSOCKET_RAW
        elif self.raw_edited:
            said = "the raw JSON goes out as written (ctrl+r: from the fields again)"
        else:
            said = "edited: " + ", ".join(edits.described()) if edits else "the recorded bytes"
        hint.update(Text(f"ctrl+s sends {said}", style="dim"))
        self._estimate()

    def action_fields_to_raw(self) -> None:
        """Forget the hand edit: the fields make the raw JSON again."""
        self.generated = self.query_one("#resend-raw", TextArea).text
        self._changed()

    # -- the estimate -----------------------------------------------------------------------

    def _estimate(self) -> None:
        original = self.original
        if original is None:
            return
        try:
            edits = self.edits()
        except EditError:
            return
        model = edited_model(original.body or {}, edits) if original.body else None
        upstream = self.query_one("#resend-upstream", Input).value
        self.estimate(original, upstream, model)

    @work(thread=True, exclusive=True, group="resend-estimate")
    def estimate(self, original: Original, upstream: str, model: str | None) -> None:
        try:
            with self._scratch_lock:
                if self.closed():
                    return self._close_scratch()
                if self._scratch is None:
                    self._scratch = open_scratch()
                line = estimate_line(self._scratch, original.tokens, upstream, model)
                if self.closed():
                    return self._close_scratch()
        except (duckdb.Error, StoreError) as exc:
            line = f"estimate: unknown ({error_text(exc)})"
        self.post_message(Estimated(line))  # dropped if the panel has closed meanwhile

    def on_estimated(self, message: Estimated) -> None:
        self.query_one("#resend-estimate", Static).update(message.line)

    # -- sending ----------------------------------------------------------------------------

    def action_send(self) -> None:
        original = self.original
        if original is None or original.refused or self.sending_since is not None:
            self.notify("Nothing to send.", severity="warning")
            return
        upstream = self.query_one("#resend-upstream", Input).value.strip()
        try:
            edits = self.edits()
        except EditError as exc:
            self.notify(str(exc), severity="error")
            return
        self.sending_since = time.monotonic()
        self.query_one("#resend-form").disabled = True
        show = self.post_message_from_thread
        on_data = watch_answer(bool(original.websocket), show)
        self.run_send(options(upstream, edits, on_data=on_data))

    def post_message_from_thread(self, so_far: SoFar) -> None:
        self.post_message(AnswerGrew(so_far))

    def on_answer_grew(self, message: AnswerGrew) -> None:
        """The answer growing while it is received and recorded."""
        self.answer = message.so_far
        so_far = message.so_far
        self.query_one("#resend-live", Static).update(
            Text(f"{so_far.events} events · {so_far.size:,} bytes\n{so_far.text}")
        )

    @work(thread=True, exclusive=True, group="resend-send")
    def run_send(self, chosen: Options) -> None:
        """Close the reader, send and record through a writable connection, read again."""
        path = self.store.path
        self.store.close()
        try:
            sent = send(path, self.exchange_id, chosen)
        except (duckdb.Error, StoreError) as exc:
            sent = Sent(None, [error_text(exc)])
        try:
            store: Reader | None = Reader.open(path)
        except StoreError as exc:
            self.post_message(Resent(sent, None, str(exc)))
            return
        self.post_message(Resent(sent, store))

    def _tick(self) -> None:
        if self.sending_since is not None:
            took = time.monotonic() - self.sending_since
            upstream = self.query_one("#resend-upstream", Input).value
            self.query_one("#resend-progress", Static).update(
                Text(f"sending to {upstream}… {took:.1f} s (the answer is recorded as it comes)")
            )

    def on_resent(self, message: Resent) -> None:
        from .diff_screen import DiffScreen
        from .main_screen import MainScreen

        self.sending_since = None
        self.sent = message.sent
        for screen in self.app.screen_stack:
            if isinstance(screen, MainScreen):  # it reads the database again, and lists it
                screen.post_message(StoreOpened(message.store, message.error))
        if message.store is not None:
            self.store = message.store
        trouble = "; ".join(message.sent.trouble + ([message.error] if message.error else []))
        new = message.sent.exchange_id
        if new is None or message.store is None:
            self.query_one("#resend-progress", Static).update(
                Text(f"✗ not sent: {trouble}", style="bold red")
            )
            self.query_one("#resend-form").disabled = False
            return
        if trouble:
            self.notify(trouble, title="Re-send", severity="warning")
        self.app.switch_screen(DiffScreen.of_exchanges(message.store, self.exchange_id, new))

    def action_cancel(self) -> None:
        if self.sending_since is not None:
            self.notify("Sending: the answer is being recorded.", severity="warning")
            return
        self.app.pop_screen()
