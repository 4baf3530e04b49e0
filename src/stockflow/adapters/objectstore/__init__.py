"""ObjectStore adapters (the predict context's port): a local folder and any S3 endpoint."""
