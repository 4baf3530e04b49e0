"""Search and index: universal search, autocomplete, facets and highlights."""
