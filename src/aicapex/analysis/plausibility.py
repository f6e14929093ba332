"""How plausible is a scenario's outcome, judged by the reference scenario's own uncertainty?

For each scenario ``s`` with median horizon change ``m_s`` of the index (``S_H / S_0 - 1``), the
reference scenario's probability of an outcome at least as bad,

    p_s = P_ref(S_H / S_0 - 1 <= m_s)          (the share of the reference's draws)

with its binomial standard error ``sqrt(p (1 - p) / N)``, read as "a 1-in-``1/p`` outcome" over
the run's horizon of ``H`` years, i.e. about once in ``H / p`` years. A scenario whose median
lies in the middle of the reference's cloud (``p`` near 0.5) asks for nothing unusual; one at
``p = 0.02`` describes what the reference thinks happens once in a generation. This is the
outcome's plausibility; the plausibility of the shock vector itself (a Mahalanobis distance
in the space of shocks) is not computed yet.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..outputs.summary import reference_scenario


def plausibility_table(ds: xr.Dataset, reference: str | None = None) -> pd.DataFrame:
    """Per scenario: the median horizon change of the index, the reference's probability of an
    outcome at least as bad (``p_reference``, with ``p_reference_se``), ``one_in`` (1/p) and
    ``about_once_in_years`` (horizon / p). ``reference`` defaults to ``baseline`` if the run
    has it, else the first scenario."""
    if "draw" not in ds.dims:
        raise ValueError("plausibility needs every draw's outcome; this is a summary run")
    names = [str(n) for n in ds["scenario"].values]
    reference = reference_scenario(names, reference)
    start = float(ds["index_level"].attrs["start_value"])
    change = np.asarray(ds["index_level"].isel(time=-1).transpose("scenario", "draw").values,
                        np.float64) / start - 1
    ref = change[names.index(reference)]
    ref = ref[np.isfinite(ref)]
    years = ds.sizes["time"] / 4
    rows = []
    for s, name in enumerate(names):
        median = float(np.nanmedian(change[s]))
        p = float((ref <= median).mean())
        rows.append({"scenario": name, "reference": reference, "median_change": median,
                     "p_reference": p, "p_reference_se": float(np.sqrt(p * (1 - p) / ref.size)),
                     "one_in": 1 / p if p > 0 else float("inf"),
                     "about_once_in_years": years / p if p > 0 else float("inf"),
                     "horizon_years": years})
    return pd.DataFrame(rows)
