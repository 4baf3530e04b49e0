"""The controller's answers are plain envelopes built in api.py from domain types
(`ComponentHealth.to_dict`, `MaintenanceState`); operators read them, no client SDK does."""
