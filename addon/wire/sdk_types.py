"""The openai-python classes the wire core types payloads with, loaded without all of openai.

`import openai` costs about 1.2 s here (0.5 s more than the modules these classes live in):
its `__init__` builds the client, every resource and, through `openai.types`, every type
of every API (evals, graders, batches...). A command that only parses needs none of that.

So the packages on the way to these classes (`openai`, `openai.types` and its `responses`,
`conversations` and `shared` subpackages) are put in `sys.modules` *deferred*: a package
module whose `__init__` has not run yet, whose submodules import as usual (openai's type
modules import each other by submodule path, never through a package's `__init__`). The
first time anything asks a deferred package for a name it lacks (`openai.OpenAI`,
`from openai.types.responses import X`), its real `__init__` runs in that same module object,
so later users, the SDK client included, get the ordinary package and the very same classes
(once `openai` itself has run, so have the others). If openai is imported already, nothing
is deferred.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import types

_DEFERRED = (
    "openai",
    "openai.types",
    "openai.types.responses",
    "openai.types.conversations",
    "openai.types.shared",
)
# Dunder names a package's `__init__` defines, which asking for must run it.
_PUBLIC_DUNDERS = frozenset({"__all__", "__version__", "__title__"})
_lock = threading.RLock()


class _DeferredPackage(types.ModuleType):
    """A package whose `__init__` runs when it is first asked for a name it does not have."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__") and name.endswith("__") and name not in _PUBLIC_DUNDERS:
            raise AttributeError(name)  # the import machinery's probes (`__path__` is set)
        run_init(self)
        return getattr(self, name)


def run_init(module: types.ModuleType) -> None:
    """Run a deferred package's real `__init__` in place (once; a no-op for other modules)."""
    with _lock:
        if type(module) is not _DeferredPackage:
            return
        ordinary: types.ModuleType = module
        ordinary.__class__ = types.ModuleType  # first: attributes missing from now on are missing
        spec = module.__spec__
        assert spec is not None and spec.loader is not None
        spec.loader.exec_module(module)
        if module.__name__ == _DEFERRED[0]:  # the SDK itself is in use: no package stays odd
            for name in _DEFERRED[1:]:
                if (sub := sys.modules.get(name)) is not None:
                    run_init(sub)


def _defer_packages() -> None:
    if _DEFERRED[0] in sys.modules:
        return  # imported already: use it as it is
    with _lock:
        for name in _DEFERRED:
            parent_name, _, child = name.rpartition(".")
            parent = sys.modules.get(parent_name) if parent_name else None
            spec = importlib.util.find_spec(
                name, getattr(parent, "__path__", None) if parent else None
            )
            if spec is None or spec.loader is None or spec.submodule_search_locations is None:
                return  # not the package layout this expects: import normally
            module = importlib.util.module_from_spec(spec)
            module.__class__ = _DeferredPackage
            sys.modules[name] = module
            if parent is not None:
                setattr(parent, child, module)


_defer_packages()

# ruff: noqa: E402 (the imports below must come after the packages are deferred)
from openai.types.conversations.conversation import Conversation
from openai.types.conversations.conversation_deleted_resource import ConversationDeletedResource
from openai.types.conversations.conversation_item import ConversationItem
from openai.types.conversations.conversation_item_list import ConversationItemList
from openai.types.responses.compacted_response import CompactedResponse
from openai.types.responses.easy_input_message import EasyInputMessage
from openai.types.responses.input_token_count_response import InputTokenCountResponse
from openai.types.responses.response import Response
from openai.types.responses.response_error_event import ResponseErrorEvent
from openai.types.responses.response_input_item import ResponseInputItem
from openai.types.responses.response_input_message_item import ResponseInputMessageItem
from openai.types.responses.response_item import ResponseItem
from openai.types.responses.response_item_list import ResponseItemList
from openai.types.responses.response_output_item import ResponseOutputItem
from openai.types.responses.response_output_message import ResponseOutputMessage
from openai.types.responses.response_stream_event import ResponseStreamEvent
from openai.types.responses.response_text_config import ResponseTextConfig
from openai.types.responses.response_usage import ResponseUsage
from openai.types.responses.tool import Tool
from openai.types.shared.reasoning import Reasoning

__all__ = [
    "CompactedResponse",
    "Conversation",
    "ConversationDeletedResource",
    "ConversationItem",
    "ConversationItemList",
    "EasyInputMessage",
    "InputTokenCountResponse",
    "Reasoning",
    "Response",
    "ResponseErrorEvent",
    "ResponseInputItem",
    "ResponseInputMessageItem",
    "ResponseItem",
    "ResponseItemList",
    "ResponseOutputItem",
    "ResponseOutputMessage",
    "ResponseStreamEvent",
    "ResponseTextConfig",
    "ResponseUsage",
    "Tool",
]
