"""HTTP: routing, the Neutron wire format, request identity and policy."""
