"""SEC EDGAR filing feeds (Atom) as articles whose event type comes from the form type."""
