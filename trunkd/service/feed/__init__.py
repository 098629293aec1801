"""The event feed, use-case side: reading and pruning it, and the in-server dispatcher that consumes it."""
