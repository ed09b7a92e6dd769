"""Example payments service: settlement batches."""
