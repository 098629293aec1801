"""Trunk drivers: the contract, the built-in drivers and the start-up checks."""
