"""isc: the iSCSI initiator tool that does the whole flow right."""

__version__ = "0.1.0"
