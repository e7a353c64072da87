"""Coordinates: WGS84 / OSGB36 latitude and longitude to and from the British National Grid,
and a local grid elsewhere."""

from __future__ import annotations

import math

import numpy as np

# Where the British National Grid applies (a little wider than the land it covers).
GB_BOUNDS = (49.5, 61.0, -9.0, 2.0)  # south, north, west, east

WGS84 = (6378137.0, 6356752.314245)
AIRY_1830 = (6377563.396, 6356256.909)
# National Grid: scale on the central meridian, true origin 49N 2W, false origin offsets (m).
NG_F0, NG_LAT0, NG_LON0, NG_E0, NG_N0 = 0.9996012717, 49.0, -2.0, 400_000.0, -100_000.0
# OS national Helmert transformation WGS84 -> OSGB36: shifts (m), scale (ppm), rotations (").
HELMERT = (-446.448, 125.157, -542.060, 20.4894, -0.1502, -0.2470, -0.8421)


def _eccentricity2(ellipsoid: tuple[float, float]) -> float:
    a, b = ellipsoid
    return (a * a - b * b) / (a * a)


def _to_cartesian(lat: np.ndarray, lon: np.ndarray, ellipsoid) -> np.ndarray:
    a, _ = ellipsoid
    e2 = _eccentricity2(ellipsoid)
    phi, lam = np.radians(lat), np.radians(lon)
    nu = a / np.sqrt(1 - e2 * np.sin(phi) ** 2)
    return np.stack(
        [nu * np.cos(phi) * np.cos(lam), nu * np.cos(phi) * np.sin(lam),
         (1 - e2) * nu * np.sin(phi)]
    )


def _from_cartesian(xyz: np.ndarray, ellipsoid) -> tuple[np.ndarray, np.ndarray]:
    """Bowring's (1976) closed form: exact to well under a millimetre near the surface."""
    a, b = ellipsoid
    e2 = _eccentricity2(ellipsoid)
    x, y, z = xyz
    p = np.hypot(x, y)
    theta = np.arctan2(z * a, p * b)
    sin, cos = np.sin(theta), np.cos(theta)
    phi = np.arctan2(z + e2 * a * a / b * sin * sin * sin, p - e2 * a * cos * cos * cos)
    return np.degrees(phi), np.degrees(np.arctan2(y, x))


def _helmert(xyz: np.ndarray, sign: float) -> np.ndarray:
    """The OS position-vector Helmert transformation (sign -1: its inverse, to millimetres)."""
    tx, ty, tz, s, rx, ry, rz = (sign * v for v in HELMERT)
    s = s * 1e-6
    rx, ry, rz = (math.radians(r / 3600) for r in (rx, ry, rz))
    x, y, z = xyz
    return np.stack(
        [tx + (1 + s) * x - rz * y + ry * z,
         ty + rz * x + (1 + s) * y - rx * z,
         tz - ry * x + rx * y + (1 + s) * z]
    )


def _meridional_arc(phi: np.ndarray, phi0: float, n: float, b_f0: float) -> np.ndarray:
    d, s = phi - phi0, phi + phi0
    return b_f0 * (
        (1 + n + 1.25 * n**2 + 1.25 * n**3) * d
        - (3 * n + 3 * n**2 + 21 / 8 * n**3) * np.sin(d) * np.cos(s)
        + (15 / 8 * n**2 + 15 / 8 * n**3) * np.sin(2 * d) * np.cos(2 * s)
        - 35 / 24 * n**3 * np.sin(3 * d) * np.cos(3 * s)
    )


def osgb36_to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """OSGB36 (Airy 1830) latitude and longitude to National Grid easting and northing (m),
    by the Transverse Mercator series of the OS guide to coordinate systems (annex C)."""
    a, b = AIRY_1830
    e2 = _eccentricity2(AIRY_1830)
    n = (a - b) / (a + b)
    phi, phi0 = np.radians(np.asarray(lat, float)), math.radians(NG_LAT0)
    dl = np.radians(np.asarray(lon, float)) - math.radians(NG_LON0)
    sin, cos = np.sin(phi), np.cos(phi)
    tan2 = (sin / cos) ** 2
    tan4 = tan2 * tan2
    cos3 = cos * cos * cos
    cos5 = cos3 * cos * cos
    w = 1 - e2 * sin * sin
    nu = a * NG_F0 / np.sqrt(w)
    rho = nu * (1 - e2) / w
    eta2 = nu / rho - 1
    dl2 = dl * dl
    northing = (
        _meridional_arc(phi, phi0, n, b * NG_F0) + NG_N0
        + dl2 * nu / 2 * sin * cos
        * (1 + dl2 / 12 * cos * cos * (5 - tan2 + 9 * eta2
                                       + dl2 / 30 * cos * cos * (61 - 58 * tan2 + tan4)))
    )
    easting = NG_E0 + dl * nu * (
        cos
        + dl2 / 6 * cos3 * (nu / rho - tan2)
        + dl2 * dl2 / 120 * cos5 * (5 - 18 * tan2 + tan4 + 14 * eta2 - 58 * tan2 * eta2)
    )
    return easting, northing


def grid_to_osgb36(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The inverse of ``osgb36_to_grid`` (OS guide, annex C)."""
    a, b = AIRY_1830
    e2 = _eccentricity2(AIRY_1830)
    n = (a - b) / (a + b)
    e = np.asarray(easting, float) - NG_E0
    north = np.asarray(northing, float) - NG_N0
    phi0 = math.radians(NG_LAT0)
    phi = north / (a * NG_F0) + phi0
    for _ in range(20):  # the OS guide's test: until the arc is within 0.01 mm
        gap = north - _meridional_arc(phi, phi0, n, b * NG_F0)
        if gap.size == 0 or np.abs(gap).max() < 1e-5:
            break
        phi = phi + gap / (a * NG_F0)
    sin, tan, sec = np.sin(phi), np.tan(phi), 1 / np.cos(phi)
    nu = a * NG_F0 / np.sqrt(1 - e2 * sin**2)
    rho = a * NG_F0 * (1 - e2) / (1 - e2 * sin**2) ** 1.5
    eta2 = nu / rho - 1
    vii = tan / (2 * rho * nu)
    viii = tan / (24 * rho * nu**3) * (5 + 3 * tan**2 + eta2 - 9 * tan**2 * eta2)
    ix = tan / (720 * rho * nu**5) * (61 + 90 * tan**2 + 45 * tan**4)
    x = sec / nu
    xi = sec / (6 * nu**3) * (nu / rho + 2 * tan**2)
    xii = sec / (120 * nu**5) * (5 + 28 * tan**2 + 24 * tan**4)
    xiia = sec / (5040 * nu**7) * (61 + 662 * tan**2 + 1320 * tan**4 + 720 * tan**6)
    lat = phi - vii * e**2 + viii * e**4 - ix * e**6
    lon = math.radians(NG_LON0) + x * e - xi * e**3 + xii * e**5 - xiia * e**7
    return np.degrees(lat), np.degrees(lon)


def wgs84_to_grid(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """WGS84 latitude and longitude to British National Grid easting and northing (m)."""
    xyz = _helmert(_to_cartesian(np.asarray(lat, float), np.asarray(lon, float), WGS84), 1.0)
    return osgb36_to_grid(*_from_cartesian(xyz, AIRY_1830))


def grid_to_wgs84(easting: np.ndarray, northing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """British National Grid easting and northing (m) to WGS84 latitude and longitude."""
    xyz = _helmert(_to_cartesian(*grid_to_osgb36(easting, northing), AIRY_1830), -1.0)
    return _from_cartesian(xyz, WGS84)


def _local_radii(lat: float) -> tuple[float, float]:
    """(metres per radian north, metres per radian east) on WGS84 at latitude ``lat``."""
    a, _ = WGS84
    e2 = _eccentricity2(WGS84)
    s2 = math.sin(math.radians(lat)) ** 2
    meridional = a * (1 - e2) / (1 - e2 * s2) ** 1.5
    prime_vertical = a / math.sqrt(1 - e2 * s2)
    return meridional, prime_vertical * math.cos(math.radians(lat))


def _in_gb(lat: float, lon: float) -> bool:
    south, north, west, east = GB_BOUNDS
    return south <= lat <= north and west <= lon <= east


