"""Signed webhooks (Standard Webhooks v1) sent through the SSRF guard."""
