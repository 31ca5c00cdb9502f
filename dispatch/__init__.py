"""The dispatch service: wire <-> model conversion, validation, errors, server, jobs, CLI."""
