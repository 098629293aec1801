"""Senders that carry committed outbox events to other systems (the message bus, Nova)."""
