"""Market-data providers: each one a package of the same shape behind the provider port."""
