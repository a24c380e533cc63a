"""SBML: export of the osteotwin model (python-libsbml) and runs of SBML models in libroadrunner."""
