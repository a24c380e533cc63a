"""The ROS34PW2 Rosenbrock-W tableau, shared by the one-person and the population solvers.

ROS34PW2 (Rang & Angermann 2005, BIT Numer Math 45:761-787, Table 4.1): 4 stages, order 3 with an
embedded order-2 error estimate, L-stable, stiffly accurate, and a W-method (keeps its order with an
approximate Jacobian). Coefficients are given here in the transformed form of Hairer & Wanner (Solving
ODEs II, IV.7): stages solve ``(I/(hγ) − J) u_i = f(t + α_i h, y + Σ a_ij u_j) + Σ (c_ij/h) u_j`` and
``y1 = y + Σ m_i u_i``; the error estimate is ``Σ e_i u_i``.
"""

from __future__ import annotations

import numpy as np

GAMMA = 0.435866521508459
_ALPHA = np.array([[0.0, 0.0, 0.0, 0.0],
                   [0.87173304301691801, 0.0, 0.0, 0.0],
                   [0.84457060015369423, -0.11299064236484185, 0.0, 0.0],
                   [0.0, 0.0, 1.0, 0.0]])
_GAMMA_FULL = np.array([[GAMMA, 0.0, 0.0, 0.0],
                        [-0.87173304301691801, GAMMA, 0.0, 0.0],
                        [-0.90338057013044082, 0.054180672388095326, GAMMA, 0.0],
                        [0.24212380706095346, -1.2232505839045147, 0.54526025533510214, GAMMA]])
_B = np.array([0.24212380706095346, -1.2232505839045147, 1.5452602553351020, GAMMA])
_B_HAT = np.array([0.37810903145819369, -0.096042292212423178, 0.5, 0.2179332607542295])
_GAMMA_INV = np.linalg.inv(_GAMMA_FULL)

#: a_ij = (α Γ⁻¹)_ij, strictly lower triangular.
STAGE_A = np.tril(_ALPHA @ _GAMMA_INV, -1)
#: c_ij = (diag(1/γ) − Γ⁻¹)_ij, strictly lower triangular.
STAGE_C = np.tril(np.diag(1.0 / np.diag(_GAMMA_FULL)) - _GAMMA_INV, -1)
#: Solution weights m = b Γ⁻¹ and error weights e = (b − b̂) Γ⁻¹.
WEIGHTS = _B @ _GAMMA_INV
ERROR_WEIGHTS = (_B - _B_HAT) @ _GAMMA_INV
#: Stage times α_i = Σ_j α_ij.
STAGE_ALPHA = _ALPHA.sum(axis=1)
