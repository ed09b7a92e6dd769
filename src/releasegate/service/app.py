"""The application object: settings, database, blob store, catalog and policies."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from releasegate.clock import Clock, utc_now
from releasegate.settings import Settings

if TYPE_CHECKING:
    from releasegate.identity.directory import IdentityDirectory
    from releasegate.model.service import Catalog
    from releasegate.policy.layers import PolicySet
    from releasegate.store.blobs import BlobStore
    from releasegate.store.db import Database


class Application:
    """Shared context of every use case; heavy parts load on first use."""

    def __init__(self, settings: Settings, *, clock: Clock = utc_now) -> None:
        self.settings = settings
        self.clock = clock

    @cached_property
    def database(self) -> Database:
        from releasegate.service.ledger import attach_checkpoint_signer
        from releasegate.store.db import Database

        database = Database(self.settings.resolved_database_url, self.settings.database_options)
        attach_checkpoint_signer(database, self.settings)
        return database

    @cached_property
    def blobs(self) -> BlobStore:
        from releasegate.store.blobs import BlobStore

        return BlobStore(self.settings.resolved_blob_dir)

    @cached_property
    def catalog(self) -> Catalog:
        from releasegate.catalog import load_catalog

        return load_catalog(self.settings.resolved_catalog)

    @cached_property
    def directory(self) -> IdentityDirectory:
        from releasegate.identity.directory import load_directory

        return load_directory(
            self.settings.resolved_identities,
            self.catalog,
            required=self.settings.identities is not None,
        )

    def policy(self, service: str | None) -> PolicySet:
        """Load the policy set that applies to `service` (files are reread each call)."""
        from releasegate.policy.layers import load_policy_set

        return load_policy_set(
            self.settings.resolved_policy_dir, service, catalog=self.settings.resolved_catalog
        )

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
