"""Reference datasets shipped with Haven: published statistics with their sources, caveats and every version.

Advocates check published figures against their sources: MOU arrivals of North Korean defectors, UNHCR
refugees and asylum-seekers of DPRK origin, US TIP tier placements. Each dataset keeps every version it was
ever loaded in (publishers revise figures), and exports cite publisher, source address and publication date.

Entry points: :mod:`haven.reference.services` (load, update, export, diff), :mod:`haven.reference.selectors`
(read rows), ``haven reference`` (the management command). Data files: ``haven/reference/data/``.
"""
