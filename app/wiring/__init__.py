"""Wiring per feature: each module builds one feature's adapters and services from Settings.

`app/container.py` only assembles them (and owns what several features share: the engine,
the unit-of-work factory, the index, the metrics).
"""
