"""News source adapters: RSS/Atom feeds, SEC EDGAR filing feeds (vendors live under providers/)."""
