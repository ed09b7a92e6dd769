"""Vulnerability, SBOM, attestation and Sigstore corpus files of real tool output.

The corpus lives next to the repository checkout, in ../shared/corpus, and is read in
place. Each expected value was derived by reading the file by hand.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from releasegate.evidence import EvidenceError, parse_evidence
from releasegate.evidence.interface import VerificationContext
from releasegate.model.evidence import ScanRun
from releasegate.model.integrity import ArtifactSignatureFacts, ProvenanceFacts, VexDocument

pytestmark = pytest.mark.corpus

CORPUS = Path(__file__).resolve().parents[3].parent / "shared" / "corpus"
CREATED = datetime(2021, 8, 25, 12, 20, 30, tzinfo=UTC)
BEACON = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)


def corpus_file(folder: str, name: str) -> Path:
    path = CORPUS / folder / name
    if not path.is_file():
        pytest.skip(f"corpus file {path} is absent; the shared corpus is not checked out here")
    return path


def parse(folder: str, name: str, context: VerificationContext | None = None):
    path = corpus_file(folder, name)
    return parse_evidence(path.read_bytes(), source=name, context=context)


def trusted_root() -> VerificationContext:
    root = corpus_file("vectors", "sigconf__rekor2-dsse-happy-path__trusted_root.json")
    return VerificationContext(trusted_root=root)


# Vulnerability scanners


def test_trivy_alpine_findings() -> None:
    format_name, scan = parse("vuln", "trivy__alpine-310.json.golden")
    assert format_name == "trivy"
    assert isinstance(scan, ScanRun)
    assert scan.tools == ("Trivy dev",)
    assert scan.execution_successful is True
    assert scan.scanned_at == CREATED
    assert len(scan.findings) == 4
    assert Counter(f.severity.value for f in scan.findings) == {"medium": 4}
    assert [(f.rule_id, f.version, f.fixed_version) for f in scan.findings] == [
        ("CVE-2019-1549", "1.1.1c-r0", "1.1.1d-r0"),
        ("CVE-2019-1551", "1.1.1c-r0", "1.1.1d-r2"),
        ("CVE-2019-1549", "1.1.1c-r0", "1.1.1d-r0"),
        ("CVE-2019-1551", "1.1.1c-r0", "1.1.1d-r2"),
    ]
    assert scan.findings[0].package == (
        "pkg:apk/alpine/libcrypto1.1@1.1.1c-r0?arch=x86_64&distro=3.10.2"
    )
    assert scan.findings[2].package.startswith("pkg:apk/alpine/libssl1.1@")
    assert all(f.fix_available for f in scan.findings)
    assert scan.findings[0].severity_source == "trivy Severity (nvd)"
    assert len({f.fingerprint for f in scan.findings}) == 4


def test_trivy_gomod_vex_unknown_severity() -> None:
    _, scan = parse("vuln", "trivy__gomod-vex.json.golden")
    assert [(f.rule_id, f.location) for f in scan.findings] == [
        ("GMS-2022-20", "go.mod"),
        ("CVE-2021-38561", "go.mod"),
        ("GMS-2022-20", "submod/go.mod"),
        ("GMS-2022-20", "submod2/go.mod"),
    ]
    # Trivy rates these UNKNOWN; unknown is never read as low.
    assert {f.severity.value for f in scan.findings} == {"unknown"}
    assert scan.findings[1].cve == "CVE-2021-38561"
    assert scan.findings[0].cve is None


def test_grype_matches() -> None:
    format_name, scan = parse("vuln", "grype__TestJsonImgsPresenter.golden")
    assert format_name == "grype"
    assert scan.tools == ("Grype",)
    assert scan.scanned_at is None
    first, second = scan.findings
    assert (first.rule_id, first.severity.value, first.package, first.version) == (
        "CVE-1999-0001", "low", "package-1", "1.1.1",
    )
    assert (first.fixed_version, first.fix_available) == ("1.2.1", True)
    assert first.location == "/foo/bar/somefile-1.txt"
    assert (second.rule_id, second.severity.value, second.package) == (
        "CVE-1999-0002", "critical", "pkg:deb/package-2@2.2.2",
    )
    assert (second.fixed_version, second.fix_available) == (None, None)
    assert second.severity_source == "grype vulnerability.severity (source-2)"


# CycloneDX SBOM and VEX


def test_cyclonedx_sbom_with_vulnerability() -> None:
    format_name, scan = parse("sbom", "trivy__npm-cyclonedx.json.golden")
    assert format_name == "cyclonedx"
    assert isinstance(scan, ScanRun)
    assert scan.tools == ("trivy dev",)
    assert scan.scanned_at == CREATED
    # A CycloneDX document records no completion status.
    assert scan.execution_successful is None
    (finding,) = scan.findings
    assert (finding.rule_id, finding.severity.value) == ("CVE-2019-11358", "medium")
    assert (finding.package, finding.version) == ("pkg:npm/jquery@3.3.9", "3.3.9")


def test_cyclonedx_vex_example() -> None:
    _, vex = parse("sbom", "bom-examples__VEX_vex.json")
    assert isinstance(vex, VexDocument)
    (statement,) = vex.statements
    assert (statement.id, statement.state, statement.justification) == (
        "CVE-2020-25649", "not_affected", "code_not_reachable",
    )
    assert statement.responses == ("will_not_fix",)
    assert statement.purls == (
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.10.0?type=jar",
    )


def test_trivy_vex_statements() -> None:
    _, vex = parse("sbom", "trivy__vex-cyclonedx.json")
    assert [(s.id, s.state, s.justification) for s in vex.statements] == [
        ("CVE-2021-44228", "not_affected", "code_not_reachable"),
        ("CVE-2022-27943", "not_affected", None),
    ]


def test_cyclonedx_numeric_serial_rejected() -> None:
    with pytest.raises(EvidenceError, match=r"serialNumber 1000000 is not a 'urn:uuid:' string"):
        parse("sbom", "trivy__sad-invalid-serial.json")


# Secrets in SARIF


def test_gitleaks_sarif_is_secret_scan() -> None:
    _, scan = parse("sarif", "gitleaks__sarif_simple.sarif")
    assert scan.category == "secret"
    assert scan.execution_successful is True
    (finding,) = scan.findings
    assert (finding.rule_id, finding.location, finding.line) == ("test-rule", "auth.py", 1)
    # The SARIF snippet holds the secret ("a secret"); it is not kept.
    assert all('"a secret"' not in value for value in (finding.message, finding.model_dump_json()))


# Attestations (DSSE envelopes signed by keys that are not supplied)


def test_slsa_verifier_valid_envelope_unverified_without_key() -> None:
    format_name, facts = parse("attestations", "slsa-verifier__dsse-valid-v1.intoto.jsonl")
    assert format_name == "dsse"
    assert isinstance(facts, ProvenanceFacts)
    assert facts.signature_verified is False
    assert facts.signatures_total == 1
    assert facts.subject_digests == (
        "sha256:0ae7e4fa71686538440012ee36a2634dbaa19df2dd16a466f52411fb348bbc4e",
    )
    assert facts.predicate_type == "https://slsa.dev/provenance/v1.0"
    assert facts.builder_id == "https://github.com/Attestations/GitHubHostedActions@v1"
    assert facts.source_repository == "git+https://github.com/slsa-framework/example-package"
    assert facts.source_commit == "4e6c5f6d0b4a126fa2373d7e57b7a0af05108791"
    assert facts.checks[0].detail == "no public key was supplied to verify it (pass --key)"
    assert facts.warnings == (
        "statement type https://in-toto.io/Statement/v0.1 is older than "
        "https://in-toto.io/Statement/v1",
    )


def test_slsa_verifier_no_subject_rejected() -> None:
    with pytest.raises(EvidenceError, match="subject: statement has no subject"):
        parse("attestations", "slsa-verifier__dsse-no-subject-v1.intoto.jsonl")


@pytest.mark.parametrize(
    ("name", "predicate", "digest"),
    [
        (
            "trivy__attestation.json",
            "cosign.sigstore.dev/attestation/v1",
            "sha256:72c42ed48c3a2db31b7dafe17d275b634664a708d901ec9fd57b1529280f01fb",
        ),
        (
            "trivy__centos-7-cyclonedx.intoto.jsonl",
            "https://cyclonedx.org/bom",
            "sha256:be65f488b7764ad3638f236b7b515b3678369a5124c47b8d32916d6487418ea4",
        ),
    ],
)
def test_trivy_attestations(name: str, predicate: str, digest: str) -> None:
    _, facts = parse("attestations", name)
    assert facts.predicate_type == predicate
    assert facts.subject_digests == (digest,)
    assert facts.builder_id is None
    assert facts.signature_verified is False


# Sigstore vectors


def test_sigstore_happy_path_verifies() -> None:
    format_name, facts = parse(
        "vectors", "sigconf__rekor2-dsse-happy-path__bundle.sigstore.json", trusted_root()
    )
    assert format_name == "sigstore-bundle"
    assert isinstance(facts, ArtifactSignatureFacts)
    assert facts.verified is True
    assert [c.name for c in facts.checks] == [
        "sigstore verification", "digest binding", "checkpoint signature", "inclusion proof",
        "certificate validity at signed time",
    ]
    assert all(c.passed for c in facts.checks)
    assert facts.digest == (
        "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
    )
    assert facts.signer is not None
    assert facts.signer.identity == BEACON
    assert facts.signer.issuer == "https://token.actions.githubusercontent.com"
    # The certificate lived ten minutes in May 2026; it is checked at the signed time.
    assert facts.signed_at is not None
    assert facts.signed_at.date().isoformat() == "2026-05-13"
    assert facts.checks[3].detail == (
        "entry 4026478 is in the tree of size 4026479 the checkpoint signs"
    )
    provenance = facts.provenance
    assert provenance is not None
    assert provenance.signature_verified is True
    assert provenance.builder_id == (
        "https://github.com/sigstore-conformance/rekor2-dsse-hashedrekord-regen"
    )
    # This predicate names no git source, so ART-2 cannot match it to a release.
    assert (provenance.source_repository, provenance.source_commit) == (None, None)


@pytest.mark.parametrize(
    ("name", "binding"),
    [
        (
            "sigconf__rekor2-dsse-mismatch-envelope_fail__bundle.sigstore.json",
            "is not the SHA-256 of the signed content",
        ),
        (
            "sigconf__rekor2-dsse-mismatch-sig_fail__bundle.sigstore.json",
            "the logged signature differs from the bundle's signature",
        ),
    ],
)
def test_sigstore_mismatched_bundles_fail(name: str, binding: str) -> None:
    _, facts = parse("vectors", name, trusted_root())
    assert facts.verified is False
    checks = {c.name: c for c in facts.checks}
    assert checks["sigstore verification"].passed is False
    assert "transparency log entry is inconsistent" in checks["sigstore verification"].detail
    assert checks["digest binding"].passed is False
    assert binding in checks["digest binding"].detail
    # The log entry itself is genuine: its proof and checkpoint still verify.
    assert checks["inclusion proof"].passed is True
    assert checks["checkpoint signature"].passed is True
    assert facts.provenance is not None
    assert facts.provenance.signature_verified is False


def test_sigstore_without_trusted_root_unverified() -> None:
    _, facts = parse("vectors", "sigconf__rekor2-dsse-happy-path__bundle.sigstore.json")
    assert facts.verified is False
    assert [(c.name, c.passed) for c in facts.checks] == [("trusted root", False)]


def test_sigstore_statement_vector_is_unsigned() -> None:
    format_name, facts = parse("vectors", "sigconf__statement.json")
    assert format_name == "in-toto"
    assert facts.signature_verified is False
    assert facts.predicate_type == "https://slsa.dev/provenance/v1"
    assert facts.source_repository == "git+https://github.com/loosebazooka/aa-test"
    assert facts.source_ref == "refs/heads/main"
    assert facts.subject_digests == (
        "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf",
    )
