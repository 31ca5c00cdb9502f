"""Who is calling: TLS credentials, bearer-token authentication and the caller's scopes."""
