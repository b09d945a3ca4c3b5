"""Speaking Twilio: the REST client, the webhook URLs and forms, number configuration."""
