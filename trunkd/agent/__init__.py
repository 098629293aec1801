"""The host agent side: following the event feed (and, later, programming Open vSwitch)."""
