"""Pure parsers: text printed by iscsiadm (and files it writes) -> model objects.

They never raise on odd input: lines they do not understand are skipped, so a newer iscsiadm that prints
more cannot crash isc. Names that fail validation are skipped too (see ``tests/unit/test_parsers.py``).
"""
