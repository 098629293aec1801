"""The event feed, storage side: the outbox written in each transaction, and the commit signal."""
