"""OVN back end tests: a real OVN central and chassis (tests/ovn/rig.py), frames through them."""
