"""The HTTP shell: middleware, the signature check, /healthz /readyz /metrics."""
