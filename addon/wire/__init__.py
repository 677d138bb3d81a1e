"""Wire core: bytes of one Responses API exchange -> typed events, items, Response and findings."""
