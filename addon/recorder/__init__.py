"""The capture side: a mitmproxy addon that journals Responses API traffic, and the ingester
that parses the journal into the store. Only `hooks` (and `script`) import mitmproxy."""
