"""Finnhub REST (news only for now): `GET /api/v1/company-news`."""
