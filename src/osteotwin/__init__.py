"""osteotwin: bone safety under aromatase inhibitors.

Simulate (mechanistic model), assess (cited findings), plan (exercise and nutrition) and track
(web application). Decision support only: it prescribes nothing on its own.
"""

__version__ = "0.1.0"
