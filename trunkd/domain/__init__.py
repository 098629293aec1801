"""Pure model and rules: no I/O, imports nothing else of trunkd."""
