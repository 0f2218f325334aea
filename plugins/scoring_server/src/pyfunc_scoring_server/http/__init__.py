"""HTTP: waitress transport, routing to handlers, replies, gzip, access log, health, metrics, OpenAPI."""
