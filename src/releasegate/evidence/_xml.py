"""Safe XML parsing for evidence files.

defusedxml rejects every document type declaration (DTD), so entity expansion
("billion laughs") and external entities never reach the parser.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as defused_tree
from defusedxml.common import (
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)

from releasegate.evidence.interface import EvidenceError, decode_utf8, reject_empty

_DECLARED_ENCODING = re.compile(
    rb"""^(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']"""
)
_POSITION_SUFFIX = re.compile(r":\s*line \d+, column \d+$")
_UTF8_NAMES = frozenset({"utf-8", "utf8"})

_UNSAFE_XML_HINT = (
    "Remove the <!DOCTYPE> declaration and any entity definitions. Test reports never "
    "need them, and they allow entity-expansion and external-entity attacks."
)


def local_name(tag: str) -> str:
    """Return `tag` without its `{namespace}` prefix."""
    return tag.rpartition("}")[2]


def parse_xml(data: bytes, *, source: str) -> Element:
    """Parse `data` into an element tree with DTDs, entities and external references forbidden.

    Text must be UTF-8 unless the XML declaration names another encoding, which the
    parser then honours. Raises EvidenceError for empty, unsafe or malformed input.
    """
    reject_empty(data, source=source)
    declared = _DECLARED_ENCODING.match(data)
    if declared is None or declared.group(1).decode("ascii").lower() in _UTF8_NAMES:
        decode_utf8(data, source=source)

    try:
        root: Element = defused_tree.fromstring(
            data, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DTDForbidden:
        raise EvidenceError(
            "XML document type declarations (<!DOCTYPE>) are not allowed",
            source=source,
            field="<!DOCTYPE>",
            hint=_UNSAFE_XML_HINT,
        ) from None
    except (EntitiesForbidden, ExternalReferenceForbidden) as error:
        raise EvidenceError(
            f"XML entity and external reference declarations are not allowed ({error})",
            source=source,
            field="<!ENTITY>",
            hint=_UNSAFE_XML_HINT,
        ) from None
    except DefusedXmlException as error:
        raise EvidenceError(
            f"XML uses a feature that is not allowed: {error}",
            source=source,
            hint=_UNSAFE_XML_HINT,
        ) from None
    except ParseError as error:
        line, column = error.position
        reason = _POSITION_SUFFIX.sub("", str(error))
        raise EvidenceError(
            f"invalid XML: {reason}",
            source=source,
            # expat counts columns from 0, but editors count from 1.
            field=f"line {line}, column {column + 1}",
            hint="The file is truncated or is not well-formed XML. Check that the test "
            "run finished writing the report before it was collected, then upload it again.",
        ) from None
    return root
