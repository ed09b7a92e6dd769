"""Rego engine, policy layers, parameter merge and the input document builder."""
