"""People, their aliases and roles, and authentication of the identities that act."""
