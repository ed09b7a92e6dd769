"""Load the service catalog from the project's YAML format.

Format (`apiVersion: releasegate/v1`, `kind: Catalog`):

    groups:   name -> {members: [identity, ...]}
    cab_group: name of the group whose members sit on the change advisory board
    services: list of Service entries (see releasegate.model.service)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field

from releasegate.documents import parse_yaml, read_bytes, validate
from releasegate.errors import InputError
from releasegate.model.common import Frozen, Identity
from releasegate.model.service import Catalog, Group, Service

API_VERSION = "releasegate/v1"


class _GroupDocument(Frozen):
    members: tuple[Identity, ...] = Field(min_length=1)


class _CatalogDocument(Frozen):
    apiVersion: str
    kind: str
    groups: dict[str, _GroupDocument] = Field(default_factory=dict)
    cab_group: str | None = None
    services: tuple[dict[str, Any], ...] = Field(min_length=1)


def load_catalog(path: Path) -> Catalog:
    """Read, validate and cross-check a catalog file."""
    source = str(path)
    document = validate(
        _CatalogDocument, parse_yaml(read_bytes(path, what="catalog"), source=source), source=source
    )
    if document.apiVersion != API_VERSION or document.kind != "Catalog":
        raise InputError(
            f"expected apiVersion {API_VERSION!r} and kind 'Catalog', "
            f"found {document.apiVersion!r} and {document.kind!r}",
            source=source,
            field="apiVersion",
            hint=f"start the file with 'apiVersion: {API_VERSION}' and 'kind: Catalog'",
        )

    groups = tuple(
        validate(
            Group,
            {"name": name, "members": list(group.members)},
            source=source,
            prefix=f"groups.{name}",
        )
        for name, group in document.groups.items()
    )
    services = tuple(
        validate(Service, entry, source=source, prefix=f"services[{index}]")
        for index, entry in enumerate(document.services)
    )

    seen: set[str] = set()
    for index, service in enumerate(services):
        if service.name in seen:
            raise InputError(
                f"service {service.name!r} is defined twice",
                source=source,
                field=f"services[{index}].name",
                hint="give each service a unique name",
            )
        seen.add(service.name)
        for role in ("engineering", "business_control"):
            group = getattr(service.owners, role)
            if group not in document.groups:
                raise InputError(
                    f"owner group {group!r} is not defined under 'groups'",
                    source=source,
                    field=f"services[{index}].owners.{role}",
                    hint=f"add '{group}' with its members under 'groups' or fix the name",
                )
    if document.cab_group is not None and document.cab_group not in document.groups:
        raise InputError(
            f"cab_group {document.cab_group!r} is not defined under 'groups'",
            source=source,
            field="cab_group",
            hint="add the change advisory board group under 'groups'",
        )
    return Catalog(services=services, groups=groups, cab_group=document.cab_group)
