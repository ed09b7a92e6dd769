"""The HTTP API: FastAPI routes over the use cases, authentication, problems, metrics."""
