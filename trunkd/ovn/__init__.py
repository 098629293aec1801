"""The OVN back end: `trunkd ovn-sync` writes OVN Northbound as ML2/OVN does and reports status from it."""
