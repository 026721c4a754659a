"""Entente: coalition cyber defence on STIX 2.1 and TAXII 2.1."""

__version__ = "0.1.0"
__all__ = ["__version__"]
