"""Load the built-in control library and the enterprise, platform and application layers.

A policy folder looks like this:

    policies/
      enterprise/   data.yaml and *.rego
      platform/     data.yaml and *.rego
      application/<service>/   data.yaml and *.rego (optional per service)

Loading has two stages: `collect_files` reads the files that take part
(built-in files included) as (label, bytes) pairs, and `build_policy_set`
parses them. The revision is a SHA-256 over every label and content, so a
decision records exactly which policy produced it, and the same files
rebuild the same policy set when a decision is replayed.

The files are read on every load, so an edited policy takes effect at the
next decision, but parsing runs only when their contents changed: parsed
policy sets are kept by revision (see `_PARSED`).
"""

from __future__ import annotations

import copy
import hashlib
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from releasegate.documents import parse_yaml, read_bytes
from releasegate.errors import InputError, PolicyError
from releasegate.policy.metadata import ControlMetadata, control_metadata, package_name
from releasegate.policy.params import merge_layers

BUILTIN_DIR = Path(__file__).with_name("rego")
LAYERS = ("enterprise", "platform", "application")
DATA_FILE_NAMES = ("data.yaml", "data.yml", "data.json")
PARAMS_LABEL = "builtin/params.yaml"
SCHEMA_LABEL = "builtin/params.schema.yaml"
CATALOG_PREFIX = "catalog/"
# conftest's rule names: deny, warn and violation, each also with a _suffix.
_RULE = re.compile(r"^((?:deny|warn|violation)(?:_[A-Za-z0-9_]+)?|controls)\b", re.MULTILINE)
_MESSAGE_RULE = re.compile(r"^(?:deny|warn|violation)(?:_[A-Za-z0-9_]+)?\b", re.MULTILINE)


@dataclass(frozen=True)
class RegoModule:
    """One Rego source file and the layer it belongs to."""

    label: str
    source: str
    layer: str
    package: str


@dataclass(frozen=True)
class CustomPackage:
    """A team's conftest-style package: `deny` and `warn` rules, and optionally `controls`.

    `controls` is an object that maps the team's control ids to their title,
    blocking flag, solution and frameworks. A `deny` message may name one of
    those ids, or a built-in control id, in its `control` field.
    """

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
    sources: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)


# Stage 1: files on disk.


def _rego_files(directory: Path, label: str) -> list[tuple[str, bytes]]:
    return [
        (f"{label}/{path.relative_to(directory).as_posix()}", read_bytes(path, what="policy file"))
        for path in sorted(directory.rglob("*.rego"))
        if not path.name.endswith("_test.rego")
    ]


def _data_files(directory: Path, label: str) -> list[tuple[str, bytes]]:
    found = [directory / name for name in DATA_FILE_NAMES if (directory / name).is_file()]
    if len(found) > 1:
        raise PolicyError(
            f"{label}: several data documents ({', '.join(p.name for p in found)})",
            hint="keep exactly one data document per layer",
        )
    return [(f"{label}/{p.name}", read_bytes(p, what="policy data document")) for p in found]


def collect_files(
    policy_dir: Path, service: str | None, *, catalog: Path | None = None
) -> list[tuple[str, bytes]]:
    """Read every file that takes part in the policy set for `service`.

    The service catalog is included when given: criticality, owners and groups
    decide as much as Rego does, so changing them changes the revision and
    lapses the approvals given under the old one.
    """
    for name in ("params.yaml", "params.schema.yaml"):
        if not (BUILTIN_DIR / name).is_file():
            raise PolicyError(
                f"built-in file {BUILTIN_DIR / name} is missing", hint="reinstall releasegate"
            )
    files = _rego_files(BUILTIN_DIR, "builtin")
    files.append((PARAMS_LABEL, (BUILTIN_DIR / "params.yaml").read_bytes()))
    files.append((SCHEMA_LABEL, (BUILTIN_DIR / "params.schema.yaml").read_bytes()))

    if not policy_dir.is_dir():
        raise PolicyError(
            f"policy folder {policy_dir} not found",
            hint="create it with enterprise/ and platform/ layers or set RELEASEGATE_POLICY_DIR",
        )
    for layer in LAYERS:
        if layer == "application":
            if not service or not (policy_dir / "application" / service).is_dir():
                continue
            directory, label = policy_dir / "application" / service, f"application/{service}"
        else:
            directory, label = policy_dir / layer, layer
            if not directory.is_dir():
                raise PolicyError(
                    f"policy layer folder {directory} not found",
                    hint=f"create {directory} with a data.yaml and its Rego modules",
                )
        files.extend(_data_files(directory, label) + _rego_files(directory, label))
    if catalog is not None:
        files.append((f"{CATALOG_PREFIX}{catalog.name}", read_bytes(catalog, what="catalog")))
    return files


# Parsed policy sets by the SHA-256 of their files; the size bounds memory when
# policies change often. Callers get their own copy of the params, the only
# mutable part, so no caller can change what the next one reads.
_PARSED: OrderedDict[str, PolicySet] = OrderedDict()
_PARSED_SIZE = 32
_PARSED_LOCK = threading.Lock()


def _files_key(files: list[tuple[str, bytes]]) -> str:
    digest = hashlib.sha256()
    for label, content in files:
        digest.update(label.encode())
        digest.update(len(content).to_bytes(8, "big"))
        digest.update(content)
    return digest.hexdigest()


def load_policy_set(
    policy_dir: Path, service: str | None, *, catalog: Path | None = None
) -> PolicySet:
    """Load built-ins plus the three layers for `service` and compute the revision.

    The files are read each time; unchanged files return the policy set parsed before.
    """
    files = collect_files(policy_dir, service, catalog=catalog)
    key = _files_key(files)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
        if cached is not None:
            _PARSED.move_to_end(key)
    if cached is None:
        cached = build_policy_set(files)
        with _PARSED_LOCK:
            _PARSED[key] = cached
            while len(_PARSED) > _PARSED_SIZE:
                _PARSED.popitem(last=False)
    return replace(cached, params=copy.deepcopy(cached.params))


# Stage 2: parsing.


def _layer_of(label: str) -> tuple[str, str]:
    """Return (layer, layer label) of a file label such as `application/svc/x.rego`."""
    parts = label.split("/")
    if parts[0] == "builtin":
        return (parts[1] if len(parts) > 2 and parts[1] in LAYERS else "builtin"), "builtin"
    if parts[0] == "application":
        return "application", "/".join(parts[:2])
    return parts[0], parts[0]


def _text(label: str, content: bytes) -> str:
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{label}: not UTF-8 text", hint="save the file as UTF-8") from exc


def _mapping(label: str, content: bytes) -> dict[str, Any]:
    try:
        value = parse_yaml(content, source=label) if content.strip() else {}
    except InputError as exc:
        raise PolicyError(exc.message, hint=exc.hint) from exc
    if value is None:
        value = {}
    if not isinstance(value, dict):
        raise PolicyError(
            f"{label}: the data document must be a mapping of parameters",
            hint="write parameters as key: value pairs",
        )
    return value


def build_policy_set(files: list[tuple[str, bytes]]) -> PolicySet:
    """Parse collected files into a policy set; the same files give the same revision."""
    by_label = dict(files)
    if PARAMS_LABEL not in by_label or SCHEMA_LABEL not in by_label:
        raise PolicyError(
            "the built-in parameters are missing from the policy files",
            hint="reinstall releasegate",
        )
    defaults = _mapping(PARAMS_LABEL, by_label[PARAMS_LABEL])
    schema = yaml.safe_load(by_label[SCHEMA_LABEL])

    modules: list[RegoModule] = []
    layer_data: list[tuple[str, dict[str, Any]]] = []
    for label, content in files:
        layer, layer_label = _layer_of(label)
        if label.endswith(".rego"):
            source = _text(label, content)
            package = package_name(source, path=label)
            builtin = label.startswith("builtin/")
            if not builtin and (package == "releasegate" or package.startswith("releasegate.")):
                stem = Path(label).stem.replace("-", "_")
                raise PolicyError(
                    f"{label}: package {package} is reserved for the built-in control library",
                    hint=f"use a package of your own, for example '{layer}.{stem}'",
                )
            modules.append(RegoModule(label=label, source=source, layer=layer, package=package))
        elif not label.startswith(("builtin/", CATALOG_PREFIX)):
            layer_data.append((layer_label, _mapping(label, content)))

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
    params = merge_layers(
        defaults,
        layer_data,
        owners={cid: meta.layer for cid, meta in controls.items()},
        blocking={cid: meta.blocking for cid, meta in controls.items()},
        schema=schema,
    )

    custom = tuple(
        CustomPackage(
            layer=m.layer,
            package=m.package,
            label=m.label,
            rules=tuple(sorted(set(_RULE.findall(m.source)))),
        )
        for m in modules
        if not m.label.startswith("builtin/") and _MESSAGE_RULE.search(m.source)
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
        sources=tuple(sorted(files)),
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
