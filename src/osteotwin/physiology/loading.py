"""Exercise → mechanical stimulus (dimensionless, 0 = no bone-loading activity).

stimulus = Σ sessions/week × weight(intensity) + impact sessions/week × w_impact
           + (weight-bearing aerobic minutes/week ÷ 150) × w_aerobic

High-intensity resistance training (≥80 % 1RM, LIFTMOR HiRIT) has weight 1 per weekly session;
light and moderate loads less (ACSM Kohrt 2004, ESSA Beck 2017 position statements); the
stimulus lowers osteocyte sclerostin (``bone.sclerostin_target``).
"""

from __future__ import annotations

from osteotwin.physiology.parameters import ModelParameters


def mechanical_stimulus(resistance_sessions_per_week: float, resistance_intensity: str,
                        impact_sessions_per_week: float,
                        weight_bearing_aerobic_minutes_per_week: float,
                        params: ModelParameters) -> float:
    """Weekly loading stimulus from the lifestyle fields (see module docstring)."""
    weight = params[f"mech_weight_{resistance_intensity}"]
    return (resistance_sessions_per_week * weight
            + impact_sessions_per_week * params["mech_weight_impact"]
            + weight_bearing_aerobic_minutes_per_week / 150.0
            * params["mech_weight_aerobic_150min"])
