"""``aicapex params``: the model's parameters with their default priors."""

from __future__ import annotations

from .console import add_command, add_format_flags, number, print_rows, width, wrapped

LIGHT = True
"""Runs without the API, the compilation cache or JAX (``main._command``)."""


def add_parser(sub) -> None:
    p = add_command(sub, "params", "list model parameters with their default priors",
                    "Every model parameter a scenario can set (in its section, e.g. "
                    "revenue.ai_revenue_2030_bn, or under parameters:), with its default "
                    "prior, unit, hard bounds, meaning and the anchor figures it comes from. "
                    "PATTERN keeps the parameters whose name, section or meaning contains it.",
                    ["aicapex params", "aicapex params revenue",
                     "aicapex params --section valuation --csv > valuation.csv"])
    p.add_argument("pattern", nargs="?", metavar="PATTERN",
                   help="keep parameters whose name, section or meaning contains this text")
    p.add_argument("--section", help="keep one section's parameters (e.g. capex)")
    add_format_flags(p)


def prior_text(spec) -> str:
    """A prior as written in a scenario file, numbers at 4 significant digits:
    ``uniform(low=0.03, high=0.04)``, or a fixed value as the number."""
    if not isinstance(spec, dict):
        return number(spec)
    if spec.get("dist") == "fixed":
        return number(spec["value"])
    args = ", ".join(f"{k}={number(v)}" for k, v in spec.items() if k != "dist")
    return f"{spec['dist']}({args})"


def rows(pattern: str | None = None, section: str | None = None) -> list[dict]:
    from ..scenarios import as_dist, default_priors
    from ..sim.model import PARAMETERS

    priors = default_priors()
    out = []
    for p in PARAMETERS:
        text = f"{p.name} {p.section} {p.doc}".lower()
        if (pattern and pattern.lower() not in text) or (section and p.section != section):
            continue
        pr = priors[p.name]
        dist = as_dist(pr.spec).model_dump()
        out.append({"section": p.section, "name": p.name, "prior": prior_text(dist),
                    "dist": dist.pop("dist"), **{f"prior_{k}": v for k, v in dist.items()},
                    "unit": p.unit, "lo": p.lo, "hi": p.hi, "source": pr.source,
                    "meaning": p.doc})
    return out


def run(args) -> int:
    found = rows(args.pattern, args.section)
    if not found:
        from ..sim.model import PARAMETERS

        sections = sorted({p.section for p in PARAMETERS})
        print(f"no parameter matches (sections: {', '.join(sections)})")
        return 1
    if args.json or args.csv:
        keys = list(dict.fromkeys(k for r in found for k in r))
        return 0 if print_rows([{k: r.get(k, "") for k in keys} for r in found], args) else 1
    name_w = max(len(r["name"]) for r in found)
    section = None
    for r in found:
        if r["section"] != section:
            section = r["section"]
            print(f"{section}:")
        line = f"  {r['name']:<{name_w}}  {r['prior']}  [{r['unit']}]"
        if len(line) > width():  # the name on its own line; the prior below it
            line = f"  {r['name']}\n      {r['prior']}  [{r['unit']}]"
        print(line)
        print(wrapped(f"{r['meaning']}; bounds [{number(r['lo'])}, {number(r['hi'])}]; "
                      f"source: {r['source']}", 6))
    return 0
