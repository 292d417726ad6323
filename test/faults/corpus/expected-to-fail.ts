// Corpus cases known to fail, each with the defect that makes it fail (id → why). A case listed
// here is run (unless it is a hazard to the machine: see FaultCase.hazard) and reported, but not
// asserted; the report says when one passes again. Empty: every case is asserted. Add an entry
// only together with an open issue that names the defect.
export const EXPECTED_TO_FAIL_BEFORE_MERGE = new Map<string, string>([]);
