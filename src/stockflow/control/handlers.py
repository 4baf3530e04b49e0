"""The controller consumes no bus event: maintenance switches reach other instances through
pub/sub and the shared store (maintenance.py); it publishes `maintenance.changed` and
`health.alert`."""
