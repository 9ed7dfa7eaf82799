"""The figures of vrsim's notebooks and of `vrsim plot`, in one place.

`vrsim export notebook` writes notebooks whose cells call the functions below on the sidecar
CSV beside the notebook; `vrsim plot` runs this file as a script to write the same figures as
PNG and SVG. Every function reads the tidy CSV generically by its column names, so a column
added to vrsim's output does not break a figure.

Command line (run with the interpreter of the notebooks' virtual environment):

    python vrsim_figures.py execute NOTEBOOK.ipynb [--out OUT.ipynb] [--timeout SECONDS]
    python vrsim_figures.py plot KIND DATA.csv OUTDIR

KIND is one of: campaign, reproduce, calibration, validation, measured.
"""

import json
import math
import os
import re
import sys

import matplotlib

if __name__ == "__main__":
    matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

# Stable SVG ids (no random salt) and no dates in the files, so reruns give the same bytes.
matplotlib.rcParams["svg.hashsalt"] = "vrsim"
matplotlib.rcParams["figure.dpi"] = 80
matplotlib.rcParams["savefig.dpi"] = 80
matplotlib.rcParams["figure.figsize"] = (8.0, 4.5)

# The figure catalogue (figures.json beside this file, which `vrsim export notebook` reads too):
# per kind of data, the figures in order, each a function below.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "figures.json"), encoding="utf-8") as _f:
    CATALOGUE = {kind: [f["name"] for f in figures] for kind, figures in json.load(_f).items()}
KINDS = tuple(CATALOGUE)


def load(path):
    """The sidecar CSV as a DataFrame (text columns kept as text)."""
    return pd.read_csv(path, keep_default_na=True, dtype={"set": str, "configuration": str})


def parse_set(text):
    """`platform=native;traffic[0].rate=1000kpps` as a dict (empty for a missing value)."""
    out = {}
    if not isinstance(text, str):
        return out
    for part in text.split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def number(text):
    """The leading number of `1000kpps`, `32`, `2.5Mpps` in base units (k, M, G prefixes)."""
    m = re.match(r"^\s*([-+0-9.eE]+)\s*([kMG]?)", str(text))
    if not m:
        return math.nan
    try:
        v = float(m.group(1))
    except ValueError:
        return math.nan
    return v * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[m.group(2)]


def _message(ax, text):
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()


def _sweep_keys(df):
    """Columns of a campaign CSV between `point` and `scope`: the swept keys."""
    cols = list(df.columns)
    if "point" not in cols or "scope" not in cols:
        return []
    return cols[cols.index("point") + 1 : cols.index("scope")]


def _groups(df, keys):
    if not keys:
        yield "all", df
        return
    for name, part in df.groupby(keys, sort=False):
        name = name if isinstance(name, tuple) else (name,)
        yield ", ".join(f"{k}={v}" for k, v in zip(keys, name)), part


# MARK: campaign figures (vrsim results DIR --format csv)


def _x_key(keys):
    for k in keys:
        if k == "routers.count":
            return k
    return keys[-1] if keys else None


def forwarding_vs_offered(df, title="Forwarding rate vs offered rate (Fig. 9 style)"):
    """Aggregate forwarded vs offered packet rate per platform, 95% CI bands."""
    fig, ax = plt.subplots()
    keys = [k for k in _sweep_keys(df) if not (k.startswith("traffic[") and k.endswith(".rate"))]
    agg = df[df["scope"] == "aggregate"]
    off = agg[agg["metric"] == "offered_pps"]
    fwd = agg[agg["metric"] == "forwarded_pps"]
    if off.empty or fwd.empty:
        _message(ax, "no offered_pps / forwarded_pps rows")
        return fig
    merged = fwd.merge(off[["point", "mean"]], on="point", suffixes=("", "_offered"))
    for name, part in _groups(merged, keys):
        part = part.sort_values("mean_offered")
        x = part["mean_offered"] / 1e3
        ax.plot(x, part["mean"] / 1e3, marker="o", label=name)
        if part["ci_low"].notna().any():
            ax.fill_between(x, part["ci_low"] / 1e3, part["ci_high"] / 1e3, alpha=0.25)
    lim = max(merged["mean_offered"].max(), merged["mean"].max()) / 1e3
    ax.plot([0, lim], [0, lim], color="grey", linestyle=":", linewidth=1, label="forwarded = offered")
    ax.set_xlabel("offered rate (kp/s)")
    ax.set_ylabel("forwarded rate (kp/s)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    ax.grid(True, alpha=0.3)
    return fig


def throughput_vs_vms(df, title="Per-VM and aggregate throughput vs VM count (Fig. 8a style)"):
    """Two panels: mean per-VM forwarded rate and aggregate forwarded rate vs routers.count."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(10.0, 4.5))
    keys = _sweep_keys(df)
    x = _x_key(keys)
    others = [k for k in keys if k != x]
    fwd = df[df["metric"] == "forwarded_pps"]
    vr = fwd[fwd["scope"].astype(str).str.match(r"^vr\d+$")]
    agg = fwd[fwd["scope"] == "aggregate"]
    for name, part in _groups(vr, others):
        per = part.groupby(x, sort=False)["mean"].agg(["mean", "min", "max"]).reset_index()
        per = per.assign(xv=per[x].map(number)).sort_values("xv")
        left.plot(per["xv"], per["mean"] / 1e3, marker="o", label=name)
        left.fill_between(per["xv"], per["min"] / 1e3, per["max"] / 1e3, alpha=0.2)
    left.set_title("per VM (mean; band: slowest to fastest VM)", fontsize="medium")
    left.set_xlabel(x)
    left.set_ylabel("forwarded rate per VM (kp/s)")
    left.grid(True, alpha=0.3)
    for name, part in _groups(agg, others):
        part = part.assign(xv=part[x].map(number)).sort_values("xv")
        right.plot(part["xv"], part["mean"] / 1e3, marker="o", label=name)
        if part["ci_low"].notna().any():
            right.fill_between(part["xv"], part["ci_low"] / 1e3, part["ci_high"] / 1e3, alpha=0.25)
    right.set_title("aggregate (95% CI band)", fontsize="medium")
    right.set_xlabel(x)
    right.set_ylabel("aggregate forwarded rate (kp/s)")
    right.grid(True, alpha=0.3)
    if others:
        right.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def aggregate_vs_routers(df, title="Aggregate forwarding rate vs router count (Fig. 8b style)"):
    """Aggregate forwarded and offered rate and loss vs routers.count, 95% CI bands."""
    fig, (ax, loss_ax) = plt.subplots(1, 2, figsize=(10.0, 4.5))
    keys = _sweep_keys(df)
    x = _x_key(keys)
    others = [k for k in keys if k != x]
    agg = df[df["scope"] == "aggregate"]
    for metric, axis, scale, label in (
        ("forwarded_pps", ax, 1e3, "aggregate forwarded rate (kp/s)"),
        ("loss", loss_ax, 0.01, "loss (%)"),
    ):
        part_all = agg[agg["metric"] == metric]
        for name, part in _groups(part_all, others):
            part = part.assign(xv=part[x].map(number)).sort_values("xv")
            axis.plot(part["xv"], part["mean"] / scale, marker="o", label=name)
            if part["ci_low"].notna().any():
                axis.fill_between(part["xv"], part["ci_low"] / scale, part["ci_high"] / scale, alpha=0.25)
        axis.set_xlabel(x)
        axis.set_ylabel(label)
        axis.grid(True, alpha=0.3)
    off = agg[agg["metric"] == "offered_pps"]
    if not off.empty:
        first = next(_groups(off, others))[1]
        first = first.assign(xv=first[x].map(number)).sort_values("xv")
        ax.plot(first["xv"], first["mean"] / 1e3, color="grey", linestyle=":", label="offered")
    ax.legend(fontsize="small")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def _point_labels(df):
    keys = _sweep_keys(df)
    labels = {}
    for p, part in df.groupby("point", sort=True):
        row = part.iloc[0]
        labels[p] = ";".join(f"{k}={row[k]}" for k in keys if pd.notna(row[k])) or f"point {p}"
    return labels


def _by_point_bars(df, scope_filter, metric, ylabel, title, scale=1.0):
    fig, ax = plt.subplots(figsize=(10.0, 5.0))
    part = df[(df["metric"] == metric) & scope_filter(df["scope"].astype(str))]
    if part.empty:
        _message(ax, f"no {metric} rows")
        return fig
    labels = _point_labels(df)
    if part["scope"].astype(str).str.match(r"^vr\d+$").sum() > 8:
        # Many routers: their sum as one "routers" bar segment, so the legend stays readable.
        part = part.assign(scope=part["scope"].astype(str).str.replace(r"^vr\d+$", "routers (sum)", regex=True))
        part = part.groupby(["point", "scope"], as_index=False, sort=False)["mean"].sum()
    table = part.pivot_table(index="point", columns="scope", values="mean", aggfunc="first").fillna(0) / scale
    table.index = [labels[p] for p in table.index]
    table = table.loc[:, (table != 0).any(axis=0)]
    if table.empty:
        _message(ax, f"every {metric} value is 0")
        return fig
    table.plot.bar(stacked=True, ax=ax, width=0.8)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.tick_params(axis="x", labelsize="x-small")
    ax.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    return fig


def drops_by_place(df):
    """Stacked drops per place (scope drop:PLACE) for every point."""
    return _by_point_bars(
        df, lambda s: s.str.startswith("drop:"), "drops", "drops (kp/s)", "Drops by place", scale=1e3)


def cpu_per_domain(df):
    """Stacked CPU (pCPUs) used by each domain for every point."""
    return _by_point_bars(
        df,
        lambda s: ~s.str.startswith("drop:") & ~s.str.startswith("pcpu") & ~s.str.startswith("stage:"),
        "cpu", "CPU (pCPUs)", "CPU per domain")


# MARK: reproduce paper (vrsim reproduce paper --format csv)


def _paper_points(ax, x, part):
    """The paper's values: x for a value, a downward triangle for an upper bound."""
    bound = part["paper"].astype(str).str.strip().str.startswith("<")
    value = part["paper_value"].notna()
    ax.scatter([v for v, b, ok in zip(x, bound, value) if ok and not b], part["paper_value"][value & ~bound],
               marker="x", s=70, color="black", zorder=3, label="paper")
    if (value & bound).any():
        ax.scatter([v for v, b, ok in zip(x, bound, value) if ok and b], part["paper_value"][value & bound],
                   marker="v", s=70, color="black", zorder=3, label="paper (upper bound)")


def paper_fig9(df):
    """Fig. 9: the highest forwarding rate per platform, simulated (95% CI) vs the paper."""
    fig, ax = plt.subplots()
    part = df[df["experiment"].astype(str).str.startswith("Fig. 9")]
    x = list(range(len(part)))
    ax.bar(x, part["simulated_mean"], yerr=part["simulated_half_width"].fillna(0), capsize=4, alpha=0.7,
           label="simulated (95% CI)")
    _paper_points(ax, x, part)
    ax.set_xticks(x)
    short = part["configuration"].astype(str).str.replace(r", max over sweep \(at (\S+) offered\)", r"\n(\1 offered)",
                                                          regex=True)
    ax.set_xticklabels(short, fontsize="small")
    ax.set_ylabel(f"forwarded rate ({part['unit'].iloc[0]})")
    ax.set_title(str(part["experiment"].iloc[0]) + ": highest forwarding rate per platform")
    ax.legend(fontsize="small")
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def paper_fig8(df):
    """Fig. 8a (per-VM and aggregate UDP throughput vs VM count) and Fig. 8b (aggregate
    forwarding vs router count): simulated with 95% CI and the paper's values."""
    exps = [e for e in dict.fromkeys(df["experiment"].astype(str)) if e.startswith("Fig. 8")]
    fig, axes = plt.subplots(1, len(exps), figsize=(5.5 * len(exps), 4.5), squeeze=False)
    for ax, exp in zip(axes[0], exps):
        part = df[df["experiment"] == exp]
        part = part.assign(count=part["configuration"].astype(str).str.extract(r"^(\d+) ")[0].astype(float))
        part = part[part["count"].notna()]
        kinds = part["configuration"].astype(str).str.contains("per VM").map({True: "per VM", False: "aggregate"})
        for kind, p in part.groupby(kinds, sort=False):
            line = ax.errorbar(p["count"], p["simulated_mean"], yerr=p["simulated_half_width"].fillna(0),
                               marker="o", capsize=3, label=f"{kind} (simulated, 95% CI)")
            paper = p[p["paper_value"].notna()]
            ax.scatter(paper["count"], paper["paper_value"], marker="x", s=70, color=line[0].get_color(),
                       zorder=3, label=f"{kind} (paper)")
        ax.set_xlabel("VMs (routers)")
        ax.set_ylabel(str(part["unit"].iloc[0]) if len(part) else "")
        ax.set_title(exp, fontsize="medium")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="x-small")
    fig.suptitle("Fig. 8: throughput vs VM count (8a), aggregate forwarding vs routers (8b)")
    fig.tight_layout()
    return fig


def simulated_vs_paper(df):
    """Relative error (simulated - paper) / paper of every row the paper gives a value for."""
    fig, ax = plt.subplots(figsize=(8.0, 0.25 * max(8, len(df)) + 1.0))
    part = df[df["relative_error"].notna()]
    if part.empty:
        _message(ax, "no rows with a paper value")
        return fig
    labels = part["experiment"].astype(str) + " " + part["configuration"].astype(str)
    colors = ["tab:green" if abs(e) <= 0.1 else "tab:red" for e in part["relative_error"]]
    ax.barh(range(len(part)), part["relative_error"] * 100, color=colors)
    ax.set_yticks(range(len(part)))
    ax.set_yticklabels(labels, fontsize="x-small")
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("relative error vs the paper (%); green: within 10%")
    ax.set_title("Simulated vs paper")
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# MARK: validation (vrsim validate --format csv) and measured data (source,...,kind)


def _fwd_offered_rows(df, value):
    agg = df[(df["scope"] == "aggregate") & (df["kind"] == "value")]
    off = agg[agg["metric"] == "offered_pps"][["experiment", "set", value]]
    fwd = agg[agg["metric"] == "forwarded_pps"]
    return fwd.merge(off, on=["experiment", "set"], suffixes=("", "_offered"))


def validation_forwarding(df):
    """Forwarded rate vs the offered (target) rate per platform, one panel per router count:
    testbed (measured, 95% CI band) and simulated (dashed, 95% CI bars)."""
    m = _fwd_offered_rows(df, "measured")
    sets = m["set"].map(parse_set)
    rate_key = next((k for c in sets for k in c if k.endswith(".rate")), None)
    m = m.assign(
        platform=sets.map(lambda c: c.get("platform", "")),
        panel=sets.map(lambda c: c.get("routers.count", "")),
        x=[number(c[rate_key]) if rate_key in c else o for c, o in zip(sets, m["measured_offered"])],
    )
    panels = list(dict.fromkeys(m["panel"]))
    fig, axes = plt.subplots(1, max(1, len(panels)), figsize=(4.5 * max(1, len(panels)), 4.5), squeeze=False,
                             sharey=True)
    if m.empty:
        _message(axes[0][0], "no aggregate offered_pps / forwarded_pps value rows")
        return fig
    for ax, panel in zip(axes[0], panels):
        for platform, p in m[m["panel"] == panel].groupby("platform", sort=False):
            p = p.sort_values("x")
            x = p["x"] / 1e3
            line, = ax.plot(x, p["measured"] / 1e3, marker="o", label=f"{platform} testbed")
            ax.fill_between(x, p["ci95_low"] / 1e3, p["ci95_high"] / 1e3, alpha=0.2, color=line.get_color())
            if "simulated" in p and p["simulated"].notna().any():
                lo, hi, what = _simulated_interval(p)
                if what == "predictive":
                    ax.fill_between(x, lo / 1e3, hi / 1e3, alpha=0.15, color=line.get_color(), hatch="//",
                                    label=f"{platform} posterior predictive 95%")
                ax.errorbar(x, p["simulated"] / 1e3,
                            yerr=[(p["simulated"] - lo).fillna(0) / 1e3, (hi - p["simulated"]).fillna(0) / 1e3],
                            fmt="s--", capsize=3, color=line.get_color(), alpha=0.8, label=f"{platform} simulated")
        ax.set_xscale("log")
        ax.set_xlabel("offered rate (kp/s)" + (f"; routers.count={panel}" if panel else ""))
        ax.grid(True, alpha=0.3)
    axes[0][0].set_ylabel("forwarded rate (kp/s)")
    axes[0][-1].legend(fontsize="x-small")
    fig.suptitle("Forwarding vs offered rate: testbed (band: 95% CI) and simulation (dashed)")
    fig.tight_layout()
    return fig


def _simulated_interval(part):
    """The simulated interval to draw: the posterior predictive 95% interval when the report
    has one (vrsim validate --posterior), else the replications' 95% interval of the mean."""
    if "predictive_low" in part and part["predictive_low"].notna().any():
        return (part["predictive_low"].fillna(part["simulated"]), part["predictive_high"].fillna(part["simulated"]),
                "predictive")
    return part["simulated_ci95_low"], part["simulated_ci95_high"], "replications"


def measured_vs_simulated(df):
    """Measured and simulated value side by side for every value row, with both 95% intervals."""
    part = df[(df["kind"] == "value") & df["simulated"].notna()] if "simulated" in df else df.iloc[0:0]
    if len(part) > 60:
        # Many rows: the aggregate forwarding rate of every point (the other metrics are in the CSV).
        part = part[(part["scope"] == "aggregate") & (part["metric"] == "forwarded_pps")]
    fig, ax = plt.subplots(figsize=(8.0, 0.3 * max(8, len(part)) + 1.0))
    if part.empty:
        _message(ax, "no simulated value rows")
        return fig
    labels = (part["experiment"].astype(str) + " " + part["set"].astype(str) + " "
              + part["scope"].astype(str) + " " + part["metric"].astype(str))
    scale = part.groupby("metric")["measured"].transform(lambda v: max(abs(v).max(), 1e-12))
    y = range(len(part))
    ax.errorbar(part["measured"] / scale, [i - 0.15 for i in y],
                xerr=[((part["measured"] - part["ci95_low"]) / scale).fillna(0),
                      ((part["ci95_high"] - part["measured"]) / scale).fillna(0)],
                fmt="o", capsize=2, label="measured")
    lo, hi, what = _simulated_interval(part)
    ax.errorbar(part["simulated"] / scale, [i + 0.15 for i in y],
                xerr=[((part["simulated"] - lo) / scale).fillna(0), ((hi - part["simulated"]) / scale).fillna(0)],
                fmt="s", capsize=2,
                label="simulated (posterior predictive 95%)" if what == "predictive" else "simulated")
    ax.set_yticks(list(y))
    ax.set_yticklabels(labels, fontsize="xx-small")
    ax.invert_yaxis()
    ax.set_xlabel("value / largest measured value of the same metric")
    ax.set_title("Measured vs simulated (95% intervals)")
    ax.legend(fontsize="small")
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def measured_forwarding(df):
    """Measured data only: forwarded vs offered rate per platform (95% CI bands)."""
    return validation_forwarding(df.rename(columns={"value": "measured"}))


def measured_values(df):
    """Every value row of a measured-data CSV with its 95% interval, normalised per metric."""
    d = df.rename(columns={"value": "measured"})
    part = d[d["kind"] == "value"]
    if len(part) > 60:
        part = part[(part["scope"] == "aggregate") & (part["metric"] == "forwarded_pps")]
    fig, ax = plt.subplots(figsize=(8.0, 0.3 * max(8, len(part)) + 1.0))
    if part.empty:
        _message(ax, "no value rows")
        return fig
    scale = part.groupby("metric")["measured"].transform(lambda v: max(abs(v).max(), 1e-12))
    y = range(len(part))
    ax.errorbar(part["measured"] / scale, list(y),
                xerr=[((part["measured"] - part["ci95_low"]) / scale).fillna(0),
                      ((part["ci95_high"] - part["measured"]) / scale).fillna(0)], fmt="o", capsize=2)
    ax.set_yticks(list(y))
    ax.set_yticklabels(part["experiment"].astype(str) + " " + part["set"].astype(str) + " "
                       + part["metric"].astype(str), fontsize="xx-small")
    ax.invert_yaxis()
    ax.set_xlabel("value / largest value of the same metric")
    ax.set_title("Measured values (95% intervals)")
    ax.grid(True, axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# MARK: calibration (the fit and posterior reports vrsim calibrate writes as JSON)


def calibration_residuals(df):
    """Normalised residuals (simulated - measured) / sd of every term at the fitted values."""
    part = df[df["table"] == "residual"]
    fig, ax = plt.subplots(figsize=(8.0, 0.25 * max(8, len(part)) + 1.0))
    if part.empty:
        _message(ax, "no residual rows")
        return fig
    colors = ["tab:grey" if k == "rank" else "tab:blue" for k in part["kind"]]
    ax.barh(range(len(part)), part["residual"], color=colors)
    ax.set_yticks(range(len(part)))
    ax.set_yticklabels(part["label"], fontsize="xx-small")
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    for v in (-2, 2):
        ax.axvline(v, color="tab:red", linestyle=":", linewidth=0.8)
    ax.set_xlabel("(simulated - measured) / sd; grey: rank terms; dotted: ±2")
    ax.set_title("Calibration residuals at the fitted values")
    fig.tight_layout()
    return fig


def calibration_intervals(df):
    """Fitted value and 95% interval of every parameter, relative to its start value."""
    part = df[df["table"] == "parameter"]
    fig, ax = plt.subplots(figsize=(8.0, 0.5 * max(4, len(part)) + 1.0))
    if part.empty:
        _message(ax, "no parameter rows")
        return fig
    y = list(range(len(part)))
    start = part["start"].where(part["start"] != 0, 1.0)
    fitted = part["fitted"] / start
    lo = (part["fitted"] - part["low"]) / start
    hi = (part["high"] - part["fitted"]) / start
    ok = part["identifiable"].astype(str).str.lower() == "true"
    ax.errorbar(fitted[ok], [v for v, o in zip(y, ok) if o], xerr=[lo[ok], hi[ok]], fmt="o", capsize=3,
                label="identifiable")
    ax.errorbar(fitted[~ok], [v for v, o in zip(y, ok) if not o], xerr=[lo[~ok], hi[~ok]], fmt="x",
                capsize=3, color="tab:red", label="not identifiable")
    ax.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    ax.set_yticks(y)
    ax.set_yticklabels(part["key"], fontsize="small")
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlim(left=0)
    ax.set_xlabel("fitted / start value (95% interval)")
    ax.set_title("Calibrated parameters")
    ax.legend(fontsize="small")
    fig.tight_layout()
    return fig


def calibration_posterior(df):
    """Each key's prior and posterior 95% interval and posterior median, on the prior's scale
    (0: the prior's 2.5% quantile, 1: its 97.5%), the point fit's value when given; the width
    ratio and verdict beside each key."""
    part = df[df["table"] == "posterior"]
    fig, ax = plt.subplots(figsize=(9.0, 0.6 * max(4, len(part)) + 1.2))
    if part.empty:
        _message(ax, "no posterior rows")
        return fig
    y = list(range(len(part)))
    span = (part["prior_high"] - part["prior_low"]).where(lambda v: v != 0, 1.0)
    low = (part["low"] - part["prior_low"]) / span
    high = (part["high"] - part["prior_low"]) / span
    median = (part["fitted"] - part["prior_low"]) / span
    for yi, a, b in zip(y, low, high):
        ax.plot([0, 1], [yi + 0.15, yi + 0.15], color="tab:grey", linewidth=4, alpha=0.5,
                label="prior 95%" if yi == 0 else None)
        ax.plot([a, b], [yi - 0.15, yi - 0.15], color="tab:blue", linewidth=4,
                label="posterior 95%" if yi == 0 else None)
    ax.plot(median, [v - 0.15 for v in y], "o", color="tab:blue", label="posterior median")
    point = df[df["table"] == "parameter"].set_index("key")["fitted"]
    xs, ys = [], []
    for yi, (key, pl, sp) in enumerate(zip(part["key"], part["prior_low"], span)):
        if key in point.index:
            xs.append((point[key] - pl) / sp)
            ys.append(yi - 0.15)
    if xs:
        ax.plot(xs, ys, "x", color="tab:red", label="point fit (least squares)")
    ax.set_yticks(y)
    ax.set_yticklabels([f"{k}\n{r:.2f} {v}" for k, r, v in zip(part["key"], part["width_ratio"], part["label"])],
                       fontsize="x-small")
    ax.invert_yaxis()
    ax.set_xlabel("position in the prior's 95% interval (0: its 2.5% quantile, 1: its 97.5%)")
    ax.set_title("Posterior vs prior per key (width ratio, verdict)")
    ax.legend(fontsize="small", loc="lower right")
    fig.tight_layout()
    return fig


def calibration_draws(df):
    """Histogram of the posterior draws of every key, the prior's 95% interval shaded."""
    part = df[df["table"] == "draw"]
    keys = list(dict.fromkeys(part["key"]))
    cols = 3
    rows = max(1, (len(keys) + cols - 1) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(10.0, 2.6 * rows), squeeze=False)
    summary = df[df["table"] == "posterior"].set_index("key")
    for i, ax in enumerate(axes.flat):
        if i >= len(keys):
            ax.axis("off")
            continue
        key = keys[i]
        values = part[part["key"] == key]
        ax.hist(values["value"], bins=30, color="tab:blue", alpha=0.8)
        if key in summary.index:
            ax.axvspan(summary.loc[key, "prior_low"], summary.loc[key, "prior_high"], color="tab:grey", alpha=0.15)
        ax.set_title(key, fontsize="small")
        ax.set_xlabel(str(values["unit"].iloc[0]), fontsize="x-small")
        ax.tick_params(labelsize="x-small")
    fig.suptitle("Posterior draws per key (shaded: the prior's 95% interval)")
    fig.tight_layout()
    return fig


def _has_table(name):
    return lambda df: "table" in df.columns and (df["table"] == name).any()


def _has_swept_rate(df):
    return any(k.startswith("traffic[") and k.endswith(".rate") for k in _sweep_keys(df))


def _has_swept_routers(df):
    return "routers.count" in _sweep_keys(df)


# When a figure applies to the data (a figure not named here always does).
APPLIES = {
    "forwarding_vs_offered": _has_swept_rate,
    "throughput_vs_vms": _has_swept_routers,
    "aggregate_vs_routers": _has_swept_routers,
    "drops_by_place": lambda df: df["scope"].astype(str).str.startswith("drop:").any(),
    "cpu_per_domain": lambda df: (df["metric"] == "cpu").any(),
    "paper_fig9": lambda df: df["experiment"].astype(str).str.startswith("Fig. 9").any(),
    "paper_fig8": lambda df: df["experiment"].astype(str).str.startswith("Fig. 8").any(),
    "validation_forwarding": lambda df: _fwd_offered_rows(df, "measured").shape[0] > 0,
    "calibration_residuals": _has_table("residual"),
    "calibration_intervals": _has_table("parameter"),
    "calibration_posterior": _has_table("posterior"),
    "calibration_draws": _has_table("draw"),
    "measured_forwarding": lambda df: _fwd_offered_rows(
        df.rename(columns={"value": "measured"}), "measured").shape[0] > 0,
}


def _applicable(kind):
    """The names of the catalogue's figures of `kind` that apply to a DataFrame, in order."""
    return lambda df: [n for n in CATALOGUE[kind] if APPLIES.get(n, lambda _: True)(df)]


FIGURES = {kind: _applicable(kind) for kind in CATALOGUE}


def figure(name, df):
    """The figure `name` drawn from `df`."""
    return globals()[name](df)


def plot(kind, data, outdir):
    """Writes NAME.png and NAME.svg into `outdir` for every figure of `kind`; returns the names."""
    df = load(data)
    os.makedirs(outdir, exist_ok=True)
    names = FIGURES[kind](df)
    for name in names:
        fig = figure(name, df)
        fig.savefig(os.path.join(outdir, f"{name}.png"), metadata={"Software": None})
        fig.savefig(os.path.join(outdir, f"{name}.svg"), metadata={"Date": None, "Creator": None})
        plt.close(fig)
        print(os.path.join(outdir, f"{name}.png"))
        print(os.path.join(outdir, f"{name}.svg"))
    return names


def execute(path, out=None, timeout=600):
    """Runs every cell of the notebook at `path` (working directory: its own) and writes it to
    `out` (default: in place) with the outputs. Raises on the first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    client = NotebookClient(
        nb, timeout=timeout, kernel_name="python3", record_timing=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    client.execute()
    nbformat.validate(nb)
    nbformat.write(nb, out or path)


def main(argv):
    if len(argv) >= 2 and argv[0] == "execute":
        out = None
        timeout = 600
        rest = argv[2:]
        while rest:
            if rest[0] == "--out" and len(rest) > 1:
                out, rest = rest[1], rest[2:]
            elif rest[0] == "--timeout" and len(rest) > 1:
                timeout, rest = int(rest[1]), rest[2:]
            else:
                print(f"vrsim_figures: unknown argument {rest[0]}", file=sys.stderr)
                return 2
        try:
            execute(argv[1], out, timeout)
        except Exception as e:  # the cell's error, named with the notebook
            print(f"vrsim_figures: {argv[1]}: execution failed: {type(e).__name__}: {e}", file=sys.stderr)
            return 1
        return 0
    if len(argv) == 4 and argv[0] == "plot" and argv[1] in KINDS:
        plot(argv[1], argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
