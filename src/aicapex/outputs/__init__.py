"""Outputs: what a run becomes for its reader. Dataset assembly (``dataset``), the run's
typed metadata (``metadata``), summary tables (``summary``), plots (``plots``), the HTML
report (``report``), the atomic run directory (``writers``) and full paths streamed to a
zarr or netCDF store chunk by chunk (``store``). Writers receive a dataset and
ready tables; nothing here parses scenario files or reaches up into the API or calibration."""

from .chart_set import write_plots
from .dataset import VARIABLES, is_summary, summary_to_dataset, sweep_grid, to_dataset
from .metadata import RunMetadata, ScenarioRecord, Timings
from .plots import (
    attribution_chart,
    exceedance_chart,
    fan_chart,
    fan_grid,
    horizon_histogram,
    regime_chart,
    regime_probabilities,
    scenario_style,
    single,
    sweep_chart,
    tail_chart,
)
from .reader import RunDirectoryError, open_run
from .report import write_report
from .risk_charts import sensitivity_chart, tornado_chart, vol_chart
from .store import PathStore, StoreError, open_paths
from .summary import horizon_table, quantiles, summary_table, tail_events, tail_probabilities
from .writers import (
    NoSpaceError,
    OutputBusyError,
    OutputExistsError,
    OutputNotWritableError,
    atomic_dir,
    check_free_space,
    check_output_dir,
    claim_output,
    output_path,
    write_run,
)

__all__ = [
    "VARIABLES",
    "NoSpaceError",
    "OutputBusyError",
    "OutputExistsError",
    "OutputNotWritableError",
    "PathStore",
    "RunDirectoryError",
    "RunMetadata",
    "ScenarioRecord",
    "StoreError",
    "Timings",
    "atomic_dir",
    "attribution_chart",
    "check_free_space",
    "check_output_dir",
    "claim_output",
    "exceedance_chart",
    "fan_chart",
    "fan_grid",
    "horizon_histogram",
    "horizon_table",
    "is_summary",
    "open_paths",
    "open_run",
    "output_path",
    "quantiles",
    "regime_chart",
    "regime_probabilities",
    "scenario_style",
    "sensitivity_chart",
    "single",
    "summary_table",
    "summary_to_dataset",
    "sweep_chart",
    "sweep_grid",
    "tail_chart",
    "tail_events",
    "tail_probabilities",
    "to_dataset",
    "tornado_chart",
    "vol_chart",
    "write_plots",
    "write_report",
    "write_run",
]
