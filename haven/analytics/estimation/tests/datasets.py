"""Published capture-recapture data sets used as test oracles (sources in each docstring)."""

from __future__ import annotations

from haven.analytics.estimation import CaptureHistories


def histpos(num_lists: int) -> list[str]:
    """Return Rcapture's ``histpos.t`` pattern order (1...1 first, 0...01 last; R/histpos.R)."""
    return [format(code, f"0{num_lists}b") for code in range(2**num_lists - 1, 0, -1)]


def hiv() -> CaptureHistories:
    """HIV in Rome, 4 reporting centres (Rcapture ``data/HIV.rda``; Abeni et al. 1994, Epidemiology 5:410)."""
    counts = [0, 3, 1, 33, 0, 20, 6, 403, 3, 35, 10, 545, 11, 621, 205]
    return CaptureHistories.from_counts(histpos(4), counts, lists=["c1", "c2", "c3", "c4"])


def darroch_r3() -> CaptureHistories:
    """Darroch et al. (1993) R3, 3 lists (Rcapture ``inst/tests/testPapersResults.R``; Rivest 2011)."""
    return CaptureHistories.from_counts(histpos(3), [72, 155, 7, 71, 13, 53, 43])


def seber() -> CaptureHistories:
    """Seber (1982) p. 107, 2 lists (Rcapture ``man/closedp.Rd`` example)."""
    return CaptureHistories.from_counts(["11", "10", "01"], [167, 781, 254])


def bruno_diabetes() -> CaptureHistories:
    """Bruno et al. (1994) diabetes, 4 lists (Rcapture ``inst/tests/testPapersResults.R``)."""
    return CaptureHistories.from_counts(
        histpos(4), [58, 157, 18, 104, 46, 650, 12, 709, 14, 20, 7, 74, 8, 182, 10]
    )


def cormack4() -> CaptureHistories:
    """Cormack, Chang & Smith (2000) Table 3a, 4 lists (Rcapture ``inst/tests/testPapersResults.R``)."""
    return CaptureHistories.from_counts(histpos(4), [72, 5, 29, 53, 24, 3, 12, 14, 0, 0, 0, 1, 0, 0, 2])


def cormack3() -> CaptureHistories:
    """Cormack, Chang & Smith (2000) Table 3b, 3 lists (Rcapture ``inst/tests/testPapersResults.R``)."""
    return CaptureHistories.from_counts(histpos(3), [72, 5, 29, 54, 24, 3, 14])


HIV_CSV = """c1,c2,c3,c4,count
1,1,1,1,0
1,1,1,0,3
1,1,0,1,1
1,1,0,0,33
1,0,1,1,0
1,0,1,0,20
1,0,0,1,6
1,0,0,0,403
0,1,1,1,3
0,1,1,0,35
0,1,0,1,10
0,1,0,0,545
0,0,1,1,11
0,0,1,0,621
0,0,0,1,205
"""
