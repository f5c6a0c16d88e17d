"""The service catalog as data: specs, fields, rules and routes.

Pure: this package imports nothing from the rest of the project and does no I/O beyond
reading its own catalog files. Human-readable strings here are message ids (English);
they are translated where they are shown, never here.
"""
