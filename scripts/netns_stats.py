"""Statistics and CSV reading shared by the netns analysis scripts (netns-fig8bref.py,
netns-speedref.py): rows of a CSV file, a Pearson correlation and a least-squares slope, each
with its 95% interval."""
import csv
import math

from scipy import stats


def read_rows(path, fail):
    """The rows of the CSV file at `path` as dicts; `fail(message)` when it cannot be read."""
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except OSError as e:
        fail(f"{path}: {e.strerror}")


def correlation(x, y):
    """Pearson r with its 95% interval (Fisher z); the interval is nan for 3 points or fewer, or |r| = 1."""
    n = len(x)
    r = stats.pearsonr(x, y).statistic
    if n <= 3 or abs(r) >= 1:
        return r, float("nan"), float("nan")
    z, half = math.atanh(r), 1.959964 / math.sqrt(n - 3)
    return r, math.tanh(z - half), math.tanh(z + half)


def slope(x, y):
    """Least-squares slope of y on x with its 95% interval (t, n - 2)."""
    fit = stats.linregress(x, y)
    t = stats.t.ppf(0.975, len(x) - 2)
    return fit.slope, fit.slope - t * fit.stderr, fit.slope + t * fit.stderr
