"""Safe YAML loading for cassettes: C speed, `!!binary` as bytes, foreign tags as plain data.

Old VCR.py and Ruby cassettes carry tags such as `!!python/unicode` or `!binary`. The safe
loader refuses them; the unsafe one would execute code. This loader keeps the safe constructor
and turns any unknown tag into the plain scalar, list or mapping under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from addon.importers._common import b64decode

if TYPE_CHECKING:  # the checker sees one static base; both share SafeConstructor's methods
    _BaseLoader = yaml.SafeLoader
else:  # libyaml's C loader where PyYAML was built with it
    _BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class CassetteLoader(_BaseLoader):
    """Safe loader (C-accelerated when available) that tolerates foreign tags."""


def _construct_foreign(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    tag = node.tag or ""
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if tag.endswith(("binary", "python/bytes")):  # Ruby `!binary`, PyYAML `!!python/bytes`
            return b64decode(value)
        return value
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    return None


CassetteLoader.add_constructor(None, _construct_foreign)


def load_yaml(data: bytes) -> Any:
    """Parse one YAML document from bytes (raises yaml.YAMLError on bad input)."""
    return yaml.load(data, Loader=CassetteLoader)  # CassetteLoader is a SafeLoader
