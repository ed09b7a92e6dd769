"""Read `# METADATA` blocks from Rego source at load time.

regopy does not implement `rego.metadata.*`, so control metadata (title,
remediation, framework mapping) is parsed here from the comment block that
precedes each `package` line.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import Field

from releasegate.errors import PolicyError
from releasegate.model.common import Frozen

# libyaml's parser where PyYAML was built with it: the blocks are parsed on every
# policy load, and the pure-Python parser made that the slowest part of a load.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PACKAGE = re.compile(r"^package\s+([A-Za-z_][A-Za-z0-9_.]*)\s*$", re.MULTILINE)
_CONTROL_ID = re.compile(r"^[A-Z]{2,5}-[0-9]{1,3}$")


class ControlMetadata(Frozen):
    """Control description shown to users, read from its package METADATA."""

    id: str
    package: str
    title: str
    description: str = ""
    blocking: bool
    frameworks: tuple[str, ...] = ()
    failure_msg: str = ""
    solution: str = ""
    layer: str
    source: str
    extra: dict[str, Any] = Field(default_factory=dict)


def package_name(source: str, *, path: str) -> str:
    """Return the dotted package of a Rego module, or raise naming the file."""
    match = _PACKAGE.search(source)
    if match is None:
        raise PolicyError(
            f"{path}: no 'package' line found",
            hint="start every Rego module with 'package <name>'",
        )
    return match.group(1)


def _metadata_blocks(source: str) -> list[tuple[dict[str, Any], str]]:
    """Return (metadata, first code line after the block) for each block."""
    lines = source.splitlines()
    blocks: list[tuple[dict[str, Any], str]] = []
    index = 0
    while index < len(lines):
        if lines[index].strip() != "# METADATA":
            index += 1
            continue
        index += 1
        body: list[str] = []
        while index < len(lines) and lines[index].startswith("#"):
            text = lines[index][1:]
            body.append(text[1:] if text.startswith(" ") else text)
            index += 1
        following = lines[index].strip() if index < len(lines) else ""
        try:
            parsed = yaml.load("\n".join(body), Loader=_LOADER) or {}  # noqa: S506 - safe loader
        except yaml.YAMLError as exc:
            raise PolicyError(
                f"invalid YAML in a METADATA block before '{following}': {exc}",
                hint="each line of the block is '# ' followed by YAML",
            ) from exc
        if not isinstance(parsed, dict):
            raise PolicyError(
                f"METADATA block before '{following}' is not a mapping",
                hint="write title:, description: and custom: keys",
            )
        blocks.append((parsed, following))
    return blocks


def control_metadata(source: str, *, path: str, layer: str) -> ControlMetadata | None:
    """Return the control declared by a module's package METADATA, if it declares one."""
    package = package_name(source, path=path)
    for block, following in _metadata_blocks(source):
        if not following.startswith("package "):
            continue
        custom = block.get("custom") or {}
        if "id" not in custom:
            return None
        control_id = str(custom["id"])
        if not _CONTROL_ID.match(control_id):
            raise PolicyError(
                f"{path}: control id {control_id!r} is not of the form ABC-1",
                hint="use two to five capital letters, a hyphen and a number",
            )
        expected = "releasegate.controls." + control_id.lower().replace("-", "_")
        if package != expected:
            raise PolicyError(
                f"{path}: control {control_id} must live in package {expected}, not {package}",
                hint="rename the package or the control id",
            )
        if not isinstance(custom.get("blocking"), bool):
            raise PolicyError(
                f"{path}: METADATA custom.blocking of {control_id} must be true or false",
                hint="say whether the control blocks a release",
            )
        known = {"id", "blocking", "frameworks", "failure_msg", "solution", "short_name"}
        return ControlMetadata(
            id=control_id,
            package=package,
            title=str(block.get("title") or control_id),
            description=str(block.get("description") or "").strip(),
            blocking=custom["blocking"],
            frameworks=tuple(str(f) for f in custom.get("frameworks") or ()),
            failure_msg=str(custom.get("failure_msg") or "").strip(),
            solution=str(custom.get("solution") or "").strip(),
            layer=layer,
            source=path,
            extra={k: v for k, v in custom.items() if k not in known},
        )
    return None
