"""HTTP handlers of the SDX API, one module per resource family."""
