"""RSS 2.0 / Atom feeds through feedparser, polled with conditional GET and per-feed back-off."""
