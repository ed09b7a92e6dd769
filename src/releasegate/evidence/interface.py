"""Contract shared by the evidence parsers, and the error they raise."""

from __future__ import annotations

from typing import Protocol

from releasegate.errors import InputError
from releasegate.model.evidence import EvidenceKind, ScanRun, TestReport

_UTF8_BOM = b"\xef\xbb\xbf"


class EvidenceError(InputError):
    """Error for an evidence file that cannot be read or proves nothing.

    `source` is the file name the caller gave, `field` the JSON path or XML location
    inside the file (None when the whole file is at fault), and `hint` the fix.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str,
        field: str | None = None,
        hint: str,
    ) -> None:
        super().__init__(message, source=source, field=field, hint=hint)


class Parser(Protocol):
    """Converter from the bytes of one evidence format to normalized facts.

    `parse` raises EvidenceError for every input it cannot read in full. It never
    returns a test report without test cases or a scan without runs.
    """

    format: str
    kind: EvidenceKind

    def parse(self, data: bytes, *, source: str) -> TestReport | ScanRun:
        """Parse `data`, naming `source` in every error."""
        ...


def reject_empty(data: bytes, *, source: str) -> None:
    """Raise EvidenceError when `data` is empty or contains only whitespace."""
    if not data.strip() or data.strip() == _UTF8_BOM:
        raise EvidenceError(
            "file is empty",
            source=source,
            hint="Upload the report the tool wrote. Check that the tool finished and "
            "that the upload step points at the right file.",
        )


def decode_utf8(data: bytes, *, source: str) -> str:
    """Decode `data` as UTF-8, dropping a leading byte order mark.

    Raises EvidenceError that names the offset of the first invalid byte.
    """
    offset = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as error:
        position = offset + error.start
        raise EvidenceError(
            f"file is not valid UTF-8: byte 0x{data[position]:02x} cannot be decoded",
            source=source,
            field=f"byte offset {position}",
            hint="Export the report as UTF-8 text. A binary or differently encoded file "
            "cannot be read.",
        ) from None
