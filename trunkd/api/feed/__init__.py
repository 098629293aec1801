"""The event feed, HTTP side: GET /v2.0/events and the hub that wakes its long-polls."""
