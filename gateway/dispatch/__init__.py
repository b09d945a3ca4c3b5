"""The outbound dispatcher: due outbound calls and first SMS, each exactly once."""
