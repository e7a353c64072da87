"""Places: where harm happens, on a regular grid and by LSOA, and how concentrated it is.

**Grid hotspots.**  Every event with coordinates falls in a square cell of ``cell_metres``
(default 250 m).  In Great Britain the cells are squares of the British National Grid: their ids
give the easting and northing of the south-west corner in metres ("G250-E430250-N433500"), so
they stay the same from one run to the next and can be found in any GIS.  WGS84 latitude and
longitude are moved to OSGB36 with the Ordnance Survey's national 7-parameter Helmert
transformation (accurate to about 5 m; OSTN15, accurate to 0.1 m, needs a grid file that Deter
does not ship) and projected with the OS Transverse Mercator formulas.  A 5 m error moves an
event into the neighbouring cell only when it lies within 5 m of a cell edge.

Outside Great Britain (decided by the median event) a local equirectangular projection is used
instead: metres east and north of the whole-degree corner south-west of the median event, with
the WGS84 ellipsoid's radii of curvature at the middle of that one-degree square.  East-west
distances are off by about tan(latitude) x the distance from that parallel in radians: 0.75% half
a degree away at 40 degrees north, 1.2% at 53 degrees, so cells far from it are a little narrower
or wider than ``cell_metres``.  Its ids name the corner: "L250-N40W74-<column>-<row>".

Events with no coordinates, or at exactly (0, 0), a common placeholder for "unknown", are not
dropped: they are counted in one row with ``place_kind`` "unlocated" (``place_id``
"no-coordinates"), and their harm stays in the denominator of every share, so the shares of the
cells add up to the share of harm that could be placed.  police.uk coordinates are snapped to
anonymised points ("on or near"), so its cells are approximate too.

**LSOA hotspots** sum the same by ``lsoa_code``; events without one are counted in a row
"no-lsoa".  An LSOA's latitude and longitude are the mean of its events' coordinates (where its
crime happens), not its official centroid.  With a population table (the 2011 Census LSOA file or
``lsoa_code,population``) each LSOA also gets events and harm per 1,000 residents; residents are
not the people present (a town centre's night-time population is many times its residents), so
rates run highest where few people live but many visit.

Only places with at least one event appear: a grid cell or LSOA with none is absent, not zero.
``violent_events`` counts the events the harm table classes as violent (see
``deter.analysis.harm_tables``); it is empty when the events carry no offence code or category.

**Concentration** is the share of harm held by the most harmful ``p``% of units (people or
places), taking the smallest whole number of units that makes at least ``p``% (so for a few
units it overstates the share), with the Gini coefficient and a concentration curve for charts.
Which units count changes the answer: among people it is given both among offenders (people with
any offender harm) and among everyone named in the extract (the rest count as zero); among
places only cells and LSOAs with at least one event count, which understates concentration
against all the street segments or cells of an area.  Pass ``zeros`` to count units with none.
"""

from __future__ import annotations

from deter.analysis.places.concentration import (
    CONCENTRATION_COLUMNS,
    concentration,
    concentration_table,
    gini,
)
from deter.analysis.places.events import event_harm_expr, require_columns
from deter.analysis.places.hotspots import (
    NO_COORDINATES,
    NO_LSOA,
    PLACE_COLUMNS,
    PROJECTIONS,
    UNLOCATED,
    grid_hotspots,
    lsoa_hotspots,
    places_summary,
    places_table,
    read_lsoa_population,
)
from deter.analysis.places.projection import (
    GB_BOUNDS,
    grid_to_osgb36,
    grid_to_wgs84,
    osgb36_to_grid,
    wgs84_to_grid,
)

__all__ = [
    "CONCENTRATION_COLUMNS", "GB_BOUNDS", "NO_COORDINATES", "NO_LSOA", "PLACE_COLUMNS",
    "PROJECTIONS", "UNLOCATED", "concentration", "concentration_table", "event_harm_expr", "gini",
    "grid_hotspots", "grid_to_osgb36", "grid_to_wgs84", "lsoa_hotspots", "osgb36_to_grid",
    "places_summary", "places_table", "read_lsoa_population", "require_columns", "wgs84_to_grid",
]
