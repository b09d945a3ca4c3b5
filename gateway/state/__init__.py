"""State between webhooks, in Redis or in memory: call sessions, SMS conversations,
the lookup index, the FIFO lock. A cache: SDX holds every answer."""
