"""What many tests share: servers, settings, a signed caller and texter, the SDX ledger.

Plain modules, imported where used; fixtures stay in the conftest files.
"""
