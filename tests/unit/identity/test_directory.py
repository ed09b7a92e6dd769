"""The identity directory: aliases, normalization, unknown identities and roles."""

from __future__ import annotations

from pathlib import Path

import pytest

from releasegate.catalog import load_catalog
from releasegate.errors import InputError
from releasegate.identity.chain import co_authors, conflicts_of, participants
from releasegate.identity.directory import build_directory, load_directory, normalize
from releasegate.model import ReleaseManifest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

DOCUMENT = {
    "apiVersion": "releasegate/v1",
    "kind": "Identities",
    "people": {
        "alice": {
            "name": "Alice Archer",
            "emails": ["Alice@Acme.Example"],
            "forge_usernames": ["alice-gh"],
            "idp_subjects": ["00u-alice"],
            "commit_identities": ["Alice Archer <a.archer@users.noreply.example>"],
        },
        "dana": {"emails": ["dana@acme.example"], "roles": ["admin"]},
    },
}


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(EXAMPLES / "catalog.yaml")


def test_normalize_case_unicode_and_address():
    assert normalize("  ALICE@Acme.Example ") == "alice@acme.example"
    assert normalize("Alice Archer <Alice@Acme.Example>") == "alice@acme.example"
    # NFKC folds the full-width letters into ASCII before comparison.
    assert normalize("\uff41\uff4c\uff49\uff43\uff45") == "alice"


def test_aliases_resolve_to_one_person(catalog):
    directory = build_directory(catalog, DOCUMENT)
    for alias in (
        "alice",
        "ALICE@acme.example",
        "alice-gh",
        "00U-ALICE",
        "A. Archer <a.archer@users.noreply.example>",
    ):
        assert directory.person_id(alias) == "alice", alias
    assert directory.same_person("alice-gh", "alice@acme.example")


def test_unknown_identity_is_no_person(catalog):
    directory = build_directory(catalog, DOCUMENT)
    assert directory.resolve("mallory@evil.example") is None
    assert not directory.same_person("mallory", "mallory")
    assert directory.roles_of(catalog, "mallory", "payments-api") == ()


def test_catalog_members_without_file(catalog):
    directory = build_directory(catalog)
    assert directory.person_id("BOB") == "bob"
    assert directory.people["bob"].implicit is True
    assert directory.roles_of(catalog, "bob", "payments-api") == ("engineering",)


def test_roles_from_catalog_and_file(catalog):
    directory = build_directory(catalog, DOCUMENT)
    assert directory.roles_of(catalog, "dana@acme.example", "payments-api") == (
        "business_control",
        "admin",
    )
    assert directory.groups_of(catalog, "alice-gh") == ("payments-engineering",)


def test_alias_of_two_people_rejected(catalog):
    document = {
        **DOCUMENT,
        "people": {**DOCUMENT["people"], "bob": {"emails": ["alice@acme.example"]}},
    }
    with pytest.raises(InputError) as raised:
        build_directory(catalog, document, source="identities.yaml")
    assert "alias 'alice@acme.example' belongs to both 'alice' and 'bob'" in str(raised.value)
    assert "identities.yaml: people.bob" in str(raised.value)


def test_unknown_role_rejected(catalog):
    document = {**DOCUMENT, "people": {"erin": {"roles": ["superuser"]}}}
    with pytest.raises(InputError) as raised:
        build_directory(catalog, document, source="identities.yaml")
    assert "people.erin.roles" in str(raised.value)
    assert "unknown role(s) superuser" in str(raised.value)


def test_wrong_kind_rejected(catalog):
    with pytest.raises(InputError) as raised:
        build_directory(catalog, {**DOCUMENT, "kind": "Catalog"}, source="identities.yaml")
    assert "kind 'Identities'" in str(raised.value)


def test_required_file_missing(catalog, tmp_path):
    with pytest.raises(InputError) as raised:
        load_directory(tmp_path / "nope.yaml", catalog, required=True)
    assert "does not exist" in str(raised.value)
    assert load_directory(tmp_path / "nope.yaml", catalog).person_id("bob") == "bob"


def test_co_author_trailers():
    message = (
        "Round settlement totals\n\nBody text mentions Co-authored-by: nobody\n\n"
        "Reviewed-by: x\nCo-authored-by: Dana Diaz <dana@acme.example>\n"
        "co-authored-by:  Chen <chen@acme.example>  \n"
    )
    assert co_authors(message) == ["Dana Diaz <dana@acme.example>", "Chen <chen@acme.example>"]
    assert co_authors("") == []
    assert co_authors("Subject only") == []


def test_chain_conflicts_by_person(catalog):
    directory = build_directory(catalog, DOCUMENT)
    manifest = ReleaseManifest.model_validate(
        {
            "service": "payments-api",
            "version": "1",
            "description": "d",
            "change_type": "normal",
            "source_commit": "a" * 40,
            "artifacts": [{"name": "api", "digest": "sha256:" + "b" * 64}],
            "authors": ["bob"],
            "requester": "bob",
            "commits": [
                {
                    "sha": "c" * 40,
                    "author": "Bob <bob@acme.example>",
                    "committer": "Alice Archer <a.archer@users.noreply.example>",
                    "message": "Fix\n\nCo-authored-by: Dana <DANA@acme.example>",
                }
            ],
        }
    )
    chain = participants(manifest, directory)
    found = conflicts_of("dana@acme.example", chain, directory)
    assert [p.describe() for p in found] == [
        f"co-author Dana <DANA@acme.example> of commit {'c' * 12}"
    ]
    committer = conflicts_of("alice-gh", chain, directory)
    assert [p.role for p in committer] == ["committer"]
    unknown = [p for p in chain if p.person is None]
    assert [p.identity for p in unknown] == ["Bob <bob@acme.example>"]


def _with_issuer(**issuer) -> dict:
    base = {"issuer": "https://idp.acme.example", "audience": "releasegate", "jwks_file": "k.json"}
    return {**DOCUMENT, "issuers": [{**base, **issuer}]}


def test_group_map_grants_catalog_groups_only_through_user_issuers(catalog):
    directory = build_directory(
        catalog, _with_issuer(group_map={"okta-ctl": "payments-control-owners"})
    )
    granted = directory.granted_groups("https://idp.acme.example", ["okta-ctl", "okta-eng"])
    assert granted == (("okta-ctl", "payments-control-owners"),)
    assert directory.granted_groups("https://other.example", ["okta-ctl"]) == ()
    # The grant adds the group; without it alice holds only her catalog roles.
    assert directory.roles_of(catalog, "alice-gh", "payments-api") == ("engineering",)
    assert directory.roles_of(catalog, "alice-gh", "payments-api", ["payments-control-owners"]) == (
        "engineering",
        "business_control",
    )
    # A granted group the catalog does not define, or an unknown identity, gains nothing.
    assert directory.groups_of(catalog, "alice-gh", ["no-such-group"]) == ("payments-engineering",)
    assert directory.groups_of(catalog, "mallory", ["payments-control-owners"]) == ()


def test_group_map_to_unknown_catalog_group_rejected(catalog):
    with pytest.raises(InputError) as raised:
        build_directory(catalog, _with_issuer(group_map={"okta-ctl": "control-owners"}))
    assert raised.value.field == "issuers[0].group_map"
    assert "names catalog group(s) control-owners, which the catalog does not define" in str(
        raised.value
    )


def test_group_map_on_workload_issuer_rejected(catalog):
    with pytest.raises(InputError) as raised:
        build_directory(
            catalog,
            _with_issuer(kind="workload", group_map={"ci": "payments-control-owners"}),
        )
    assert raised.value.field == "issuers[0].group_map"
    assert "workload issuer, whose tokens never grant groups" in str(raised.value)
