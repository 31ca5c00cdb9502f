"""The boundary between dispatch.v1 messages and the solvers' problem and plan types.

Every proto <-> model conversion lives here, so ids become indices (and back) in one place and
the service, the CLI and the benchmarks read and write the wire the same way.
"""
