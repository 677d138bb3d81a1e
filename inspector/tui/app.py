"""The respdeck browser app over a database (file or live recorder); `launch.run_browse`
starts it."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType

from addon.store.db import StoreError
from addon.store.reader import Reader

from .commands import BrowseCommands
from .error_screen import ErrorScreen
from .launch import Launch
from .main_screen import MainScreen
from .messages import StoreOpened


class BrowseApp(App[None]):
    """Browse recorded Responses API traffic."""

    CSS_PATH = "app.tcss"
    TITLE = "respdeck"
    COMMANDS: ClassVar = App.COMMANDS | {BrowseCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, db: Path, store: Reader | None = None, launch: Launch | None = None) -> None:
        """Browse `db`. `launch` (from `launch.prepare`) brings the store already open and its
        first page on the way; `store`, an open store; with neither, the app opens `db`
        itself. A database that cannot be used gets a screen saying why."""
        super().__init__()
        self.db = db
        self.launch = launch
        self.store = launch.store if launch else store

    def on_mount(self) -> None:
        if self.launch is not None and self.launch.error:
            self.push_screen(ErrorScreen(self.launch.error))
        elif self.store is not None:
            prefetch = self.launch.prefetch if self.launch else None
            self.push_screen(MainScreen(self.store, prefetch))
        else:
            self.open_store()

    @work(thread=True, exclusive=True, group="open")
    def open_store(self) -> None:
        try:
            store = Reader.open(self.db)
        except StoreError as exc:
            self.post_message(StoreOpened(None, str(exc)))
            return
        except Exception as exc:  # anything else: still a message, never a traceback
            self.post_message(StoreOpened(None, f"{self.db}: {type(exc).__name__}: {exc}"))
            return
        self.post_message(StoreOpened(store))

    def on_store_opened(self, message: StoreOpened) -> None:
        if message.store is None:
            self.push_screen(ErrorScreen(message.error))
            return
        self.store = message.store
        self.push_screen(MainScreen(message.store))

    def action_help(self) -> None:
        from .help_screen import HelpScreen  # Markdown loads when first asked for

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
