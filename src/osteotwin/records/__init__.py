"""Patient records: domain model and patient file v1 reader/writer (storage, FHIR in subpackages)."""

from osteotwin.errors import UserInputError as PatientFileError  # noqa: F401
from osteotwin.records.patient import DxaScan as DxaScan
from osteotwin.records.patient import ExternalFractureRisk as ExternalFractureRisk
from osteotwin.records.patient import History as History
from osteotwin.records.patient import LabResult as LabResult
from osteotwin.records.patient import Lifestyle as Lifestyle
from osteotwin.records.patient import Medication as Medication
from osteotwin.records.patient import Patient as Patient
from osteotwin.records.patient import PatientRecord as PatientRecord
from osteotwin.records.patient import Supplement as Supplement
from osteotwin.records.patient_file import dump_patient_json as dump_patient_json
from osteotwin.records.patient_file import dump_patient_yaml as dump_patient_yaml
from osteotwin.records.patient_file import load_patient_file as load_patient_file
from osteotwin.records.patient_file import parse_patient_document as parse_patient_document
from osteotwin.records.patient_file import parse_text as parse_text
from osteotwin.records.patient_file import read_document as read_document
from osteotwin.records.patient_file import record_to_document as record_to_document
