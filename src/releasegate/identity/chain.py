"""The chain of people behind a release, resolved to persons for segregation of duties.

Co-author trailers are read with a small line parser rather than `git
interpret-trailers`, because the gate sees commit messages from the release
manifest, not a repository. It takes `Co-authored-by:` lines (any case) of
the message's last paragraph, which is where git writes trailers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from releasegate.identity.directory import IdentityDirectory
from releasegate.model import ReleaseManifest

# Roles in the chain whose holders may neither approve the release nor
# trigger its production deployment.
AUTHOR_ROLES = ("author", "co_author", "committer", "signer", "requester")

_TRAILER = re.compile(r"^co-authored-by:\s*(?P<value>\S.*?)\s*$", re.IGNORECASE)

_LABELS = {
    "author": "author",
    "co_author": "co-author",
    "committer": "committer",
    "signer": "signer",
    "requester": "requester",
    "reviewer": "reviewer",
}


def co_authors(message: str) -> list[str]:
    """Return the values of the Co-authored-by trailers of a commit message."""
    paragraphs = [p for p in re.split(r"\n\s*\n", message.strip()) if p.strip()]
    if not paragraphs:
        return []
    found = []
    for line in paragraphs[-1].splitlines():
        match = _TRAILER.match(line.strip())
        if match:
            found.append(match.group("value"))
    return found


@dataclass(frozen=True)
class Participant:
    """One identity in one role of the release's chain."""

    role: str
    identity: str
    person: str | None
    commit: str | None = None

    def describe(self) -> str:
        where = f" of commit {self.commit[:12]}" if self.commit else ""
        return f"{_LABELS[self.role]} {self.identity}{where}"

    def document(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "identity": self.identity,
            "person": self.person,
            "commit": self.commit,
            "description": self.describe(),
        }


def participants(manifest: ReleaseManifest, directory: IdentityDirectory) -> list[Participant]:
    """List every identity that wrote, committed, signed, reviewed or requested the release."""
    found: list[Participant] = []

    def add(role: str, identity: str | None, commit: str | None = None) -> None:
        if identity is None or not identity.strip():
            return
        entry = Participant(role, identity.strip(), directory.person_id(identity), commit)
        if entry not in found:
            found.append(entry)

    for author in manifest.authors:
        add("author", author)
    add("requester", manifest.requester)
    for commit in manifest.commits:
        add("author", commit.author, commit.sha)
        for value in co_authors(commit.message):
            add("co_author", value, commit.sha)
        add("committer", commit.committer, commit.sha)
        add("signer", commit.signer, commit.sha)
    for reviewer in manifest.reviewers:
        add("reviewer", reviewer)
    return found


def conflicts_of(
    identity: str, chain: list[Participant], directory: IdentityDirectory
) -> list[Participant]:
    """Return the author-side participants who are the same person as `identity`."""
    person = directory.person_id(identity)
    return [
        p
        for p in chain
        if p.role in AUTHOR_ROLES
        and (
            (person is not None and p.person == person)
            or (person is None and p.identity.casefold() == identity.casefold())
        )
    ]


def unknown_authors(chain: list[Participant]) -> list[Participant]:
    """Author-side participants that resolve to no person, so independence is unprovable."""
    return [p for p in chain if p.role in AUTHOR_ROLES and p.person is None]


def describe_collision(identity: str, person: str | None, found: list[Participant]) -> str:
    """Name the identity, its person and each participant it collides with."""
    who = f"{identity} (person {person})" if person else identity
    return f"{who} is the same person as " + ", ".join(p.describe() for p in found)
