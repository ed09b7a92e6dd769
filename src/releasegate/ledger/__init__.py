"""Append-only evidence ledger: canonical JSON entries in an RFC 6962 Merkle log."""
