"""Command-line interface: `releasegate`."""
