"""ObjectStore on a local folder."""
