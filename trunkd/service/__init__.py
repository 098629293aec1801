"""Use cases: one unit of work per call; domain rules inside; events recorded with the change."""
