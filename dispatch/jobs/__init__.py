"""Durable plan jobs (issue 7): SQLite store, bounded worker slots, watchers. To be built."""
