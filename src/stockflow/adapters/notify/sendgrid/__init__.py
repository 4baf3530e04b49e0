"""E-mail through the SendGrid v3 Mail Send API."""
