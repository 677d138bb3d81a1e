"""Command palette entries (ctrl+p): sort, group, screens, tabs, play back, re-send, export."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from addon.exporters import formats
from addon.store.queries import GROUPS

from .columns import COLUMNS
from .detail import TABS


def commands(screen: object) -> list[tuple[str, Callable[[], object], str]]:
    """(name, callback, help) for the main screen; nothing on other screens."""
    from .main_screen import MainScreen

    if not isinstance(screen, MainScreen):
        return []
    out: list[tuple[str, Callable[[], object], str]] = [
        (
            f"Sort by {c.label} ({c.key})",
            partial(screen.action_sort_by, c.key),
            "order the list by this column",
        )
        for c in COLUMNS
    ]
    out.append(("Reverse the order", screen.action_reverse, "ascending / descending"))
    out += [
        (
            f"Group by {g}" if g != "none" else "No grouping",
            partial(screen.action_group, g),
            "group the list",
        )
        for g in GROUPS
    ]
    out += [
        (f"Show tab {title}", partial(screen.action_tab, tab_id), "detail tab")
        for tab_id, title in TABS
    ]
    out += [
        ("Thread view", screen.action_thread, "the selected exchange's chain of responses"),
        ("Usage charts", screen.action_usage, "tokens and cost by model and by day"),
        ("Play back the exchange", screen.action_play, "its stream again, at its recorded pace"),
        ("Re-send the exchange", screen.action_resend, "edit its request, send it, diff"),
        *(
            (f"Export exchange as {f.name}", partial(screen.action_export, f.name), f.about)
            for f in formats()
        ),
        ("Filter (SQL WHERE)", screen.action_focus_where, "focus the filter"),
        ("Search item text", screen.action_focus_search, "focus the search"),
    ]
    return out


class BrowseCommands(Provider):
    async def discover(self) -> Hits:
        for name, callback, help_text in commands(self.screen):
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for name, callback, help_text in commands(self.screen):
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
