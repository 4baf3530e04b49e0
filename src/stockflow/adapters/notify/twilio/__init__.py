"""SMS through the Twilio Messages API."""
