"""Running Parley in production: health endpoints, the Prometheus endpoint, and logging
context. Nothing here knows about chat rules; docs/deploy.md describes how it is used."""
