"""FHIR R4 (R4B models from fhir.resources): a patient record to a Bundle and back, losslessly.

``record_to_bundle(record)`` writes Patient, Observation (LOINC, UCUM), MedicationStatement (RxNorm
where known), Condition and RiskAssessment resources; ``bundle_to_record(bundle)`` reads them back.
"""

from osteotwin.records.fhir.export import record_to_bundle as record_to_bundle
from osteotwin.records.fhir.importer import ImportResult as ImportResult
from osteotwin.records.fhir.importer import bundle_to_record as bundle_to_record
from osteotwin.records.fhir.importer import import_bundle as import_bundle
from osteotwin.records.fhir.outputs import ModelOutput as ModelOutput
from osteotwin.records.fhir.outputs import Prediction as Prediction
from osteotwin.records.fhir.outputs import fracture_risk_output as fracture_risk_output
from osteotwin.records.fhir.outputs import trajectory_output as trajectory_output
