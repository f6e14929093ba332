"""Units of the outputs for pint: the registry that reads every variable's ``units``.

Rates (``1/yr``) and ratios (``1``) are CF units that any pint or UDUNITS registry reads;
money is ``billion_USD``, which needs a currency, so this registry is cf_xarray's with one
added (pint, cf_xarray and pint-xarray are the ``units`` extra):

    >>> import pint_xarray  # noqa: F401
    >>> q = ds.pint.quantify(unit_registry=unit_registry())
    >>> q["ai_capex"].pint.to("USD/yr")
"""

from __future__ import annotations

import functools


@functools.cache
def unit_registry():
    """cf_xarray's pint registry with ``USD`` (a currency) and ``billion_USD`` defined."""
    try:
        from cf_xarray.units import units
    except ImportError as e:
        raise ImportError("units need the units extra: pip install 'aicapex[units]' "
                          f"(pint, cf_xarray, pint-xarray); {e}") from None
    if "USD" not in units:
        units.define("USD = [currency]")
        units.define("billion_USD = 1e9 * USD")
    return units
