"""Outputs: xarray assembly, summaries, plots and writers."""

from .dataset import VARIABLES, to_dataset
from .summary import horizon_table, quantiles, summary_table, tail_probabilities
from .writers import OutputExistsError, write_run

__all__ = [
    "VARIABLES",
    "OutputExistsError",
    "horizon_table",
    "quantiles",
    "summary_table",
    "tail_probabilities",
    "to_dataset",
    "write_run",
]
