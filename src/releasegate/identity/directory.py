"""The identity directory: one person per human, with every alias they act under.

Format (`apiVersion: releasegate/v1`, `kind: Identities`, default file
`identities.yaml` in the working folder):

    people:
      <person id>:
        name: display name
        emails: [addresses]          # compared case-insensitively
        idp_subjects: [OIDC sub claims]
        forge_usernames: [forge logins]
        commit_identities: ["Name <address>", ...]
        signing_keys: [key ids or fingerprints]
        roles: [security, release_manager, auditor, admin]
    issuers: [...]                   # trusted OIDC issuers, see identity.oidc;
                                     # group_map maps IdP groups to catalog groups

Every alias is normalized before it is compared: Unicode NFKC, then case
folding, with surrounding space removed, and "Name <address>" reduced to the
address. So "Alice@Example.COM" and "alice@example.com" are one alias. An alias may belong
to one person only. Catalog group members that the file does not name become
people of their own, so a working folder without the file keeps working.

An identity that resolves to no person is unknown. An unknown identity never
counts as a distinct person: it has no role, and segregation of duties
cannot show that it differs from anyone else.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

from releasegate.documents import parse_yaml, read_bytes, validate
from releasegate.errors import InputError
from releasegate.model.common import Frozen, NonEmpty
from releasegate.model.service import Catalog

API_VERSION = "releasegate/v1"

# Roles that apply to a person everywhere, from the directory or the IdP. The
# per-service approval roles (engineering, business_control, cab) come from
# the catalog's owner groups and CAB group instead.
GLOBAL_ROLES = ("security", "release_manager", "auditor", "admin")
SERVICE_ROLES = ("engineering", "business_control", "cab")
ROLES = SERVICE_ROLES + GLOBAL_ROLES

_PERSON_ID = re.compile(r"^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$")
_ADDRESS = re.compile(r"<([^<>]+)>\s*$")


def normalize(value: str) -> str:
    """Return the comparison key of an alias: NFKC, case-folded, address only."""
    text = unicodedata.normalize("NFKC", value).strip()
    match = _ADDRESS.search(text)
    if match:
        text = match.group(1).strip()
    return text.casefold()


class IssuerConfig(Frozen):
    """A trusted OIDC issuer: where its keys are and which claims carry what."""

    issuer: NonEmpty
    audience: NonEmpty
    jwks_uri: NonEmpty | None = None
    jwks_file: NonEmpty | None = None
    kind: str = Field(default="user", pattern=r"^(user|workload)$")
    subject_claim: NonEmpty = "sub"
    groups_claim: NonEmpty = "groups"
    roles_claim: NonEmpty = "roles"
    algorithms: tuple[NonEmpty, ...] = ("RS256", "ES256")
    # IdP group name -> catalog group: a verified user token whose groups claim
    # contains the IdP group makes its person a member of the catalog group for
    # the approvals given with that token.
    group_map: dict[NonEmpty, NonEmpty] = Field(default_factory=dict)


class _PersonDocument(Frozen):
    name: NonEmpty | None = None
    emails: tuple[NonEmpty, ...] = ()
    idp_subjects: tuple[NonEmpty, ...] = ()
    forge_usernames: tuple[NonEmpty, ...] = ()
    commit_identities: tuple[NonEmpty, ...] = ()
    signing_keys: tuple[NonEmpty, ...] = ()
    roles: tuple[NonEmpty, ...] = ()


class _DirectoryDocument(Frozen):
    apiVersion: str
    kind: str
    people: dict[str, _PersonDocument] = Field(default_factory=dict)
    issuers: tuple[IssuerConfig, ...] = ()


@dataclass(frozen=True)
class Person:
    """One human, with the aliases they act under and their global roles."""

    id: str
    name: str | None = None
    aliases: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    implicit: bool = False


@dataclass
class IdentityDirectory:
    """Resolves aliases to people and people to roles."""

    people: dict[str, Person] = field(default_factory=dict)
    issuers: tuple[IssuerConfig, ...] = ()
    source: str | None = None
    _alias_index: dict[str, str] = field(default_factory=dict)

    def resolve(self, alias: str | None) -> Person | None:
        """Return the person behind an alias, or None when it is unknown."""
        if alias is None or not alias.strip():
            return None
        person_id = self._alias_index.get(normalize(alias))
        return None if person_id is None else self.people[person_id]

    def person_id(self, alias: str | None) -> str | None:
        person = self.resolve(alias)
        return None if person is None else person.id

    def same_person(self, first: str | None, second: str | None) -> bool:
        """True when both aliases resolve to one known person."""
        a, b = self.person_id(first), self.person_id(second)
        return a is not None and a == b

    def aliases_of(self, person_id: str) -> tuple[str, ...]:
        person = self.people.get(person_id)
        return () if person is None else person.aliases

    def groups_of(
        self, catalog: Catalog, alias: str, granted: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """Catalog groups that list the person behind `alias` under any of their aliases.

        `granted` adds catalog groups that a verified IdP token granted the
        person (see `granted_groups`); it never makes an unknown identity a member.
        """
        person = self.resolve(alias)
        if person is None:
            return ()
        keys = set(person.aliases) | {person.id}
        names = [g.name for g in catalog.groups if any(normalize(m) in keys for m in g.members)]
        known = {g.name for g in catalog.groups}
        names.extend(g for g in granted if g in known and g not in names)
        return tuple(names)

    def granted_groups(self, issuer: str, idp_groups: Iterable[str]) -> tuple[tuple[str, str], ...]:
        """Pairs (IdP group, catalog group) that `issuer`'s group_map grants for `idp_groups`.

        Only a user issuer grants groups; a workload issuer's tokens never do.
        """
        config = next((i for i in self.issuers if i.issuer == issuer), None)
        if config is None or config.kind != "user":
            return ()
        pairs = [(g, config.group_map[g]) for g in idp_groups if g in config.group_map]
        return tuple(dict.fromkeys(pairs))

    def roles_of(
        self, catalog: Catalog, alias: str, service: str | None, granted: Iterable[str] = ()
    ) -> tuple[str, ...]:
        """Approval roles of `alias` for `service`, then the person's global roles."""
        person = self.resolve(alias)
        if person is None:
            return ()
        groups = set(self.groups_of(catalog, alias, granted))
        held: list[str] = []
        entry = catalog.service(service) if service else None
        if entry is not None and entry.owners.engineering in groups:
            held.append("engineering")
        if entry is not None and entry.owners.business_control in groups:
            held.append("business_control")
        if catalog.cab_group and catalog.cab_group in groups:
            held.append("cab")
        held.extend(r for r in person.roles if r not in held)
        return tuple(held)

    def _add(self, person: Person, *, source: str, where: str) -> None:
        self.people[person.id] = person
        for alias in (person.id, *person.aliases):
            owner = self._alias_index.get(alias)
            if owner is not None and owner != person.id:
                raise InputError(
                    f"alias {alias!r} belongs to both {owner!r} and {person.id!r}",
                    source=source,
                    field=where,
                    hint="an alias may name one person only; remove it from one of them",
                )
            self._alias_index[alias] = person.id


def _aliases(document: _PersonDocument) -> tuple[str, ...]:
    values: Iterable[str] = (
        *document.emails,
        *document.idp_subjects,
        *document.forge_usernames,
        *document.commit_identities,
        *document.signing_keys,
    )
    return tuple(dict.fromkeys(normalize(v) for v in values))


def build_directory(
    catalog: Catalog, document: dict[str, Any] | None = None, *, source: str = "identities"
) -> IdentityDirectory:
    """Build the directory from a parsed identities document and the catalog."""
    directory = IdentityDirectory(source=source if document is not None else None)
    if document is not None:
        parsed = validate(_DirectoryDocument, document, source=source)
        if parsed.apiVersion != API_VERSION or parsed.kind != "Identities":
            raise InputError(
                f"expected apiVersion {API_VERSION!r} and kind 'Identities', "
                f"found {parsed.apiVersion!r} and {parsed.kind!r}",
                source=source,
                field="apiVersion",
                hint=f"start the file with 'apiVersion: {API_VERSION}' and 'kind: Identities'",
            )
        for raw_id, entry in parsed.people.items():
            person_id = normalize(raw_id)
            where = f"people.{raw_id}"
            if not _PERSON_ID.match(person_id):
                raise InputError(
                    f"person id {raw_id!r} is not 1-64 lowercase letters, digits, '.', '_' or '-'",
                    source=source,
                    field=where,
                    hint="use a short user name such as 'alice' as the person id",
                )
            unknown = sorted(set(entry.roles) - set(GLOBAL_ROLES))
            if unknown:
                raise InputError(
                    f"unknown role(s) {', '.join(unknown)}",
                    source=source,
                    field=f"{where}.roles",
                    hint=f"use roles from: {', '.join(GLOBAL_ROLES)}; approval roles come from "
                    "the catalog's owner groups and CAB group",
                )
            person = Person(
                id=person_id,
                name=entry.name,
                aliases=_aliases(entry),
                roles=tuple(dict.fromkeys(entry.roles)),
            )
            directory._add(person, source=source, where=where)
        known_groups = {g.name for g in catalog.groups}
        for index, issuer in enumerate(parsed.issuers):
            unknown_groups = sorted(set(issuer.group_map.values()) - known_groups)
            if unknown_groups:
                raise InputError(
                    f"group_map of {issuer.issuer} names catalog group(s) "
                    f"{', '.join(unknown_groups)}, which the catalog does not define",
                    source=source,
                    field=f"issuers[{index}].group_map",
                    hint="map IdP groups to group names under 'groups' in the catalog",
                )
            if issuer.group_map and issuer.kind != "user":
                raise InputError(
                    f"{issuer.issuer} is a workload issuer, whose tokens never grant groups",
                    source=source,
                    field=f"issuers[{index}].group_map",
                    hint="remove group_map from the workload issuer",
                )
        directory.issuers = parsed.issuers
    for group in catalog.groups:
        for member in group.members:
            key = normalize(member)
            if key not in directory._alias_index:
                directory._add(
                    Person(id=key, implicit=True), source="catalog", where=f"groups.{group.name}"
                )
    return directory


def load_directory(path: Path, catalog: Catalog, *, required: bool = False) -> IdentityDirectory:
    """Read the identities file; without one, every catalog member is a person of their own."""
    if not path.is_file():
        if required:
            raise InputError(
                "the identities file does not exist",
                source=str(path),
                hint="create it or unset the identities setting",
            )
        return build_directory(catalog)
    source = str(path)
    document = parse_yaml(read_bytes(path, what="identities file"), source=source)
    return build_directory(catalog, document, source=source)
