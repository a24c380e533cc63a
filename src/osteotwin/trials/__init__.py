"""Published trials as data: trial file v1 reader, virtual populations, endpoints and the pass rule."""

from osteotwin.trials.model import Arm, Distribution, Endpoint, Population, Trial, TrialRegimen
from osteotwin.trials.reader import load_trial_file, load_trials, parse_trial_document, trial_files

__all__ = ["Arm", "Distribution", "Endpoint", "Population", "Trial", "TrialRegimen",
           "load_trial_file", "load_trials", "parse_trial_document", "trial_files"]
