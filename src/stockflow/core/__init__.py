"""Building blocks with no business rules: events, ports, registry, problems, logging, clock."""
