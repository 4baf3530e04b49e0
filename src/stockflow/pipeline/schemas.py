"""The pipeline's wire formats are events: raw tick batches and processed ticks in columns. Their
payload models are in core/catalogue.py (RAW_TICKS, PROCESSED_TICKS, BAR_CLOSED); the column
packing is in repository.py (`pack_columns`, `unpack_rows`)."""
