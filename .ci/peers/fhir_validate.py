"""Validates FHIR R4 resources the server emitted against fhir.resources
6.4.x (R4 4.0.1 models), and checks the coded values the library does not
enforce (required bindings: statuses, priorities, bundle types, issue
codes). Each argument is a JSON file holding one resource. Prints one line
per problem and exits 1 if there is any; "ok N" otherwise.
"""
import json
import re
import sys

from fhir.resources import get_fhir_model_class

REQUIRED = {
    ("Communication", "status"): {"preparation", "in-progress", "not-done", "on-hold", "stopped", "completed", "entered-in-error", "unknown"},
    ("Communication", "priority"): {"routine", "urgent", "asap", "stat"},
    ("Bundle", "type"): {"document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"},
    ("CapabilityStatement", "status"): {"draft", "active", "retired", "unknown"},
    ("CapabilityStatement", "kind"): {"instance", "capability", "requirements"},
    ("CapabilityStatement", "fhirVersion"): {"4.0.1"},
    ("Patient", "gender"): {"male", "female", "other", "unknown"},
}
ISSUE_SEVERITY = {"fatal", "error", "warning", "information"}
ISSUE_CODE = {
    "invalid", "structure", "required", "value", "invariant", "security", "login", "unknown", "expired", "forbidden",
    "suppressed", "processing", "not-supported", "duplicate", "multiple-matches", "not-found", "deleted", "too-long",
    "code-invalid", "extension", "too-costly", "business-rule", "conflict", "transient", "lock-error", "no-store",
    "exception", "timeout", "incomplete", "throttled", "informational",
}
SEARCH_MODE = {"match", "include", "outcome"}
REST_MODE = {"client", "server"}
INTERACTIONS = {"read", "vread", "update", "patch", "delete", "history-instance", "history-type", "create", "search-type"}
PARAM_TYPES = {"number", "date", "string", "token", "reference", "composite", "quantity", "uri", "special"}
NAME_USE = {"usual", "official", "temp", "nickname", "anonymous", "old", "maiden"}
REFERENCE = re.compile(r"^(Patient|Practitioner|Organization|Communication)/[0-9a-f-]{36}$")


def check(resource, where, problems):
    kind = resource.get("resourceType")
    for (k, field), allowed in REQUIRED.items():
        if k == kind and field in resource and resource[field] not in allowed:
            problems.append(f"{where}: {kind}.{field} = {resource[field]!r} is not in its required value set")
    if kind == "OperationOutcome":
        for i in resource.get("issue", []):
            if i.get("severity") not in ISSUE_SEVERITY or i.get("code") not in ISSUE_CODE:
                problems.append(f"{where}: OperationOutcome issue {i!r} has a code outside IssueType/IssueSeverity")
    if kind == "Bundle":
        for n, e in enumerate(resource.get("entry", [])):
            if resource.get("type") == "searchset" and e.get("search", {}).get("mode") not in SEARCH_MODE:
                problems.append(f"{where}: entry {n} has no valid search.mode")
            if resource.get("type") != "searchset" and "search" in e:
                problems.append(f"{where}: entry {n} has search outside a searchset (bdl-2)")
            check(e["resource"], f"{where} entry {n}", problems)
    if kind == "CapabilityStatement":
        for rest in resource.get("rest", []):
            if rest.get("mode") not in REST_MODE:
                problems.append(f"{where}: rest.mode")
            for r in rest.get("resource", []):
                for i in r.get("interaction", []):
                    if i.get("code") not in INTERACTIONS:
                        problems.append(f"{where}: interaction {i!r}")
                for p in r.get("searchParam", []):
                    if p.get("type") not in PARAM_TYPES:
                        problems.append(f"{where}: searchParam {p!r}")
    if kind == "Patient":
        for name in resource.get("name", []):
            if "use" in name and name["use"] not in NAME_USE:
                problems.append(f"{where}: HumanName.use {name['use']!r}")
    if kind == "Communication":
        refs = [resource.get("subject", {}).get("reference")]
        refs += [r.get("reference") for r in resource.get("partOf", []) + resource.get("inResponseTo", [])]
        refs += [r.get("reference") for r in resource.get("recipient", [])]
        refs.append(resource.get("sender", {}).get("reference"))
        for r in refs:
            if r is not None and not REFERENCE.match(r):
                problems.append(f"{where}: reference {r!r} is not Type/id of a type this server serves")
        for p in resource.get("payload", []):
            a = p.get("contentAttachment")
            if a and len(__import__("base64").b64decode(a.get("hash", ""))) != 20:
                problems.append(f"{where}: Attachment.hash is not a base64 SHA-1")


def main(paths):
    problems = []
    for path in paths:
        with open(path) as f:
            resource = json.load(f)
        try:
            get_fhir_model_class(resource["resourceType"]).parse_obj(resource)
        except Exception as e:  # the model's own refusal, whatever its type
            problems.append(f"{path}: {resource.get('resourceType')} does not validate as R4: {e}")
            continue
        check(resource, path, problems)
    for p in problems:
        print(p)
    if problems:
        sys.exit(1)
    print(f"ok {len(paths)}")


if __name__ == "__main__":
    main(sys.argv[1:])
