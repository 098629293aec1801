"""Loading the configured drivers and the start-up checks (DESIGN.md §3.6)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from trunkd.config import Config
from trunkd.domain import errors
from trunkd.domain.segmentation import VALIDATORS
from trunkd.drivers.base import TrunkDriver
from trunkd.drivers.builtin import BUILTIN
from trunkd.drivers.registry import DriverRegistry


def check_drivers(drivers: list[TrunkDriver]) -> None:
    """Raise StartupCheckFailed with one line naming the driver, the check and the fix."""
    loaded = [d for d in drivers if d.loaded]
    if not loaded:
        raise errors.StartupCheckFailed(
            msg="no trunk driver is loaded: enable at least one with --drivers (e.g. --drivers noop)"
        )
    for driver in loaded:
        problem = driver.check_health()
        if problem:
            raise errors.StartupCheckFailed(
                msg=f"driver '{driver.name}' failed its health check: {problem}; fix it or disable the driver"
            )
    common = frozenset.intersection(*(d.segmentation_types for d in loaded))
    if not common:
        listing = ", ".join(f"{d.name}={sorted(d.segmentation_types)}" for d in loaded)
        raise errors.StartupCheckFailed(
            msg=f"the loaded drivers share no segmentation type ({listing}); enable drivers with a common type"
        )
    missing = sorted(t for t in common if t not in VALIDATORS)
    if missing:
        raise errors.StartupCheckFailed(
            msg=f"no validator for segmentation type(s) {missing}; register one or disable the drivers using it"
        )


def _load(name: str, config: Config) -> TrunkDriver:
    """A built-in driver by name, or any `package.module:factory` returning a TrunkDriver."""
    if name == "ovn":
        from trunkd.drivers.ovn import ovn

        return ovn(config.ovn_nb_connection, config.ovn_sb_connection)
    if name in BUILTIN:
        return BUILTIN[name]()
    module_name, _, factory = name.partition(":")
    if not factory:
        raise errors.StartupCheckFailed(
            msg=f"unknown trunk driver '{name}': choose from {sorted([*BUILTIN, 'ovn'])} or give module:factory"
        )
    try:
        make: Callable[[], object] = getattr(importlib.import_module(module_name), factory)
        driver = make()
    except (ImportError, AttributeError) as exc:
        raise errors.StartupCheckFailed(msg=f"trunk driver '{name}' could not be loaded: {exc}") from None
    if not isinstance(driver, TrunkDriver):
        raise errors.StartupCheckFailed(msg=f"trunk driver '{name}' is not a TrunkDriver")
    return driver


def load_drivers(config: Config) -> DriverRegistry:
    drivers = [_load(name, config) for name in config.drivers]
    check_drivers(drivers)
    return DriverRegistry(drivers)
