"""Load the built-in control library and the enterprise, platform and application layers.

A policy folder looks like this:

    policies/
      enterprise/   data.yaml and *.rego
      platform/     data.yaml and *.rego
      application/<service>/   data.yaml and *.rego (optional per service)

The revision is a SHA-256 over every file that takes part (built-in files
included), so a decision records exactly which policy produced it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from releasegate.documents import parse_yaml, read_bytes
from releasegate.errors import InputError, PolicyError
from releasegate.policy.metadata import ControlMetadata, control_metadata, package_name
from releasegate.policy.params import merge_layers

BUILTIN_DIR = Path(__file__).with_name("rego")
LAYERS = ("enterprise", "platform", "application")
DATA_FILE_NAMES = ("data.yaml", "data.yml", "data.json")
_RULE = re.compile(r"^(deny|warn)\b", re.MULTILINE)


@dataclass(frozen=True)
class RegoModule:
    """One Rego source file and the layer it belongs to."""

    label: str
    source: str
    layer: str
    package: str


@dataclass(frozen=True)
class CustomPackage:
    """A team's conftest-style package: `deny` and `warn` rules with messages."""

    layer: str
    package: str
    label: str
    rules: tuple[str, ...]


@dataclass(frozen=True)
class PolicySet:
    """Everything one decision is evaluated against, with its revision hash."""

    revision: str
    modules: tuple[RegoModule, ...]
    params: dict[str, Any]
    controls: dict[str, ControlMetadata]
    custom_packages: tuple[CustomPackage, ...]
    files: tuple[tuple[str, str], ...] = field(default=())


def _read_text(path: Path, label: str) -> str:
    try:
        return read_bytes(path, what="policy file").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{label}: not UTF-8 text", hint="save the file as UTF-8") from exc


def _load_data(directory: Path, label: str) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    found = [directory / name for name in DATA_FILE_NAMES if (directory / name).is_file()]
    if len(found) > 1:
        raise PolicyError(
            f"{label}: several data documents ({', '.join(p.name for p in found)})",
            hint="keep exactly one data document per layer",
        )
    if not found:
        return {}, []
    path = found[0]
    raw = read_bytes(path, what="policy data document")
    try:
        value = parse_yaml(raw, source=str(path))
    except InputError as exc:
        raise PolicyError(exc.message, hint=exc.hint) from exc
    if not isinstance(value, dict):
        raise PolicyError(
            f"{path}: the data document must be a mapping of parameters",
            hint="write parameters as key: value pairs",
        )
    return value, [(f"{label}/{path.name}", raw)]


def _load_rego_dir(
    directory: Path, layer: str, label: str, *, builtin: bool
) -> tuple[list[RegoModule], list[tuple[str, bytes]]]:
    modules: list[RegoModule] = []
    files: list[tuple[str, bytes]] = []
    for path in sorted(directory.rglob("*.rego")):
        if path.name.endswith("_test.rego"):
            continue
        rel = f"{label}/{path.relative_to(directory).as_posix()}"
        source = _read_text(path, rel)
        package = package_name(source, path=rel)
        if not builtin and (package == "releasegate" or package.startswith("releasegate.")):
            raise PolicyError(
                f"{rel}: package {package} is reserved for the built-in control library",
                hint="use a package of your own, for example "
                f"'{layer}.{path.stem.replace('-', '_')}'",
            )
        modules.append(RegoModule(label=rel, source=source, layer=layer, package=package))
        files.append((rel, source.encode("utf-8")))
    return modules, files


def _builtin_layer(path: Path) -> str:
    relative = path.relative_to(BUILTIN_DIR).parts
    return relative[0] if relative[0] in LAYERS else "builtin"


def load_policy_set(policy_dir: Path, service: str | None) -> PolicySet:
    """Load built-ins plus the three layers for `service` and compute the revision."""
    modules: list[RegoModule] = []
    files: list[tuple[str, bytes]] = []

    builtin_modules, builtin_files = _load_rego_dir(BUILTIN_DIR, "builtin", "builtin", builtin=True)
    for module in builtin_modules:
        layer = _builtin_layer(BUILTIN_DIR / module.label.removeprefix("builtin/"))
        modules.append(RegoModule(module.label, module.source, layer, module.package))
    files.extend(builtin_files)
    defaults, default_files = _load_params_file(BUILTIN_DIR / "params.yaml")
    files.extend(default_files)

    if not policy_dir.is_dir():
        raise PolicyError(
            f"policy folder {policy_dir} not found",
            hint="create it with enterprise/ and platform/ layers or set RELEASEGATE_POLICY_DIR",
        )
    layer_data: list[tuple[str, dict[str, Any]]] = []
    for layer in LAYERS:
        if layer == "application":
            directory = policy_dir / "application" / service if service else None
            if directory is None or not directory.is_dir():
                continue
            label = f"application/{service}"
        else:
            directory = policy_dir / layer
            label = layer
            if not directory.is_dir():
                raise PolicyError(
                    f"policy layer folder {directory} not found",
                    hint=f"create {directory} with a data.yaml and its Rego modules",
                )
        data, data_files = _load_data(directory, label)
        layer_modules, rego_files = _load_rego_dir(directory, layer, label, builtin=False)
        modules.extend(layer_modules)
        files.extend(data_files + rego_files)
        layer_data.append((label, data))

    params = merge_layers(defaults, layer_data)

    controls: dict[str, ControlMetadata] = {}
    for module in modules:
        meta = control_metadata(module.source, path=module.label, layer=module.layer)
        if meta is None:
            continue
        if meta.id in controls:
            raise PolicyError(
                f"{module.label}: control {meta.id} is already defined in "
                f"{controls[meta.id].source}",
                hint="give each control one package",
            )
        controls[meta.id] = meta
    if not controls:
        raise PolicyError(
            "no controls were loaded; an empty control set can never allow a release",
            hint="reinstall releasegate: its built-in control library is missing",
        )

    custom = tuple(
        CustomPackage(
            layer=m.layer,
            package=m.package,
            label=m.label,
            rules=tuple(sorted(set(_RULE.findall(m.source)))),
        )
        for m in modules
        if m.layer != "builtin" and not m.label.startswith("builtin/") and _RULE.search(m.source)
    )

    digest = hashlib.sha256()
    for label, content in sorted(files):
        digest.update(label.encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(content).digest())
    return PolicySet(
        revision=digest.hexdigest(),
        modules=tuple(modules),
        params=params,
        controls=controls,
        custom_packages=_merge_custom(custom),
        files=tuple((label, hashlib.sha256(c).hexdigest()) for label, c in sorted(files)),
    )


def _merge_custom(packages: tuple[CustomPackage, ...]) -> tuple[CustomPackage, ...]:
    """Merge modules that share a package: Rego combines their rules anyway."""
    merged: dict[str, CustomPackage] = {}
    for package in packages:
        previous = merged.get(package.package)
        if previous is None:
            merged[package.package] = package
        else:
            merged[package.package] = CustomPackage(
                layer=previous.layer,
                package=package.package,
                label=previous.label,
                rules=tuple(sorted(set(previous.rules) | set(package.rules))),
            )
    return tuple(merged.values())


def _load_params_file(path: Path) -> tuple[dict[str, Any], list[tuple[str, bytes]]]:
    if not path.is_file():
        raise PolicyError(
            f"built-in parameter file {path} is missing",
            hint="reinstall releasegate",
        )
    raw = path.read_bytes()
    value = parse_yaml(raw, source=str(path))
    if not isinstance(value, dict):
        raise PolicyError(f"{path}: expected a mapping", hint="reinstall releasegate")
    return value, [("builtin/params.yaml", raw)]
