"""REST API handlers, one module per Twilio resource."""
