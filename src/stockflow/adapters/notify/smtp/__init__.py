"""E-mail over SMTP (STARTTLS or implicit TLS, optional AUTH)."""
