"""Analysers of the changes that ship with a release: plans, migrations, API and event schemas."""
