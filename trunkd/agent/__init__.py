"""The host agent: event feed, reconciler, Open vSwitch layout and back end, plug, command line."""
