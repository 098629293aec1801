"""trunkd: a Neutron-compatible network trunk service."""

__version__ = "0.1.0"
