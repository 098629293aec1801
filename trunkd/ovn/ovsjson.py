"""Open vSwitch's C JSON parser for the OVSDB connections, when the `ovs` wheel came without it.

The `ovs` package from PyPI is pure Python unless built against libopenvswitch; its pure-Python JSON parser
then takes most of the time of a large Northbound transaction (the server echoes every row written, and the
monitor's updates are parsed character by character). Debian's python3-openvswitch (a dependency of
openvswitch-switch) ships the C parser built for the system Python; it has the same interface, so it is used
when its ABI tag matches this interpreter. Otherwise nothing changes.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

SYSTEM_OVS = Path("/usr/lib/python3/dist-packages/ovs")


def use_c_parser(search: Path = SYSTEM_OVS) -> bool:
    """Make ovs.json.Parser the C one if it can be had; True when it is in use."""
    import ovs
    import ovs.json

    if ovs.json.PARSER == ovs.json.PARSER_C:
        return True
    tag = f"cpython-{sys.version_info.major}{sys.version_info.minor}-"
    for path in sorted(search.glob(f"_json.{tag}*.so")):
        try:
            spec = importlib.util.spec_from_file_location("ovs._json", path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            module.Parser(check_trailer=False)  # the interface ovs.json.Parser hands over to
        except (ImportError, OSError, AttributeError, TypeError) as exc:
            log.info("OVS C JSON parser %s not usable: %s", path, exc)
            continue
        sys.modules["ovs._json"] = module
        ovs._json = module  # type: ignore[attr-defined]
        ovs.json.ovs = ovs  # type: ignore[attr-defined]  # bound there only by a successful `import ovs._json`
        ovs.json.PARSER = ovs.json.PARSER_C
        return True
    return False
