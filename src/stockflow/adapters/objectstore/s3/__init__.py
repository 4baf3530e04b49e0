"""ObjectStore on S3 or any S3-compatible endpoint, through boto3."""
