"""RQ job functions: each takes primitive ids, reloads its rows and records its state."""
