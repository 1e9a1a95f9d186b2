//! The error answers every operation can give because of how its request is
//! read, documented once instead of on each handler.
//!
//! They follow from the extractors, which the document already shows: a
//! JSON body (`ApiJson`) can be malformed, too large, of another media type
//! or invalid; a query string (`ApiQuery`) can be malformed; an id in the
//! path that names nothing is "not found"; a signed-in route (`Auth`) can be
//! called without a session, or with a session cookie from another site;
//! any route that reaches the database can find it unavailable. A handler
//! that documents one of these statuses itself keeps its own description.

use utoipa::Modify;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, Response, ResponseBuilder};

pub(crate) struct StandardErrors;

/// A status an operation may answer with, and why.
struct Answer {
    status: &'static str,
    why: &'static str,
}

const BODY: [Answer; 4] = [
    Answer { status: "400", why: "The body is not a JSON object of the documented shape (`malformed_request`)." },
    Answer { status: "413", why: "The body is larger than this route accepts (`payload_too_large`)." },
    Answer { status: "415", why: "The body is not sent as `application/json` (`unsupported_media_type`)." },
    Answer { status: "422", why: "A field's value is not acceptable; `field` names it (`invalid_input`)." },
];
const QUERY: [Answer; 2] = [
    Answer {
        status: "400",
        why: "The query string has an unknown or repeated parameter, or a bad value (`malformed_request`).",
    },
    Answer { status: "422", why: "A parameter's value is not acceptable; `field` names it (`invalid_input`)." },
];
const HEADER: Answer = Answer {
    status: "400",
    why: "A header has a value that cannot be read, such as a non-ASCII `Idempotency-Key` (`malformed_request`).",
};
const IDEMPOTENCY: Answer = Answer {
    status: "422",
    why: "The `Idempotency-Key` was used before with a different request (`idempotency_key_reused`).",
};
const PATH: Answer = Answer { status: "404", why: "Nothing the caller may see has this id (`not_found`)." };
const SIGNED_IN: [Answer; 2] = [
    Answer { status: "401", why: "No valid session or key (`unauthenticated`)." },
    Answer {
        status: "403",
        why: "A session cookie sent by a page of another site (`Sec-Fetch-Site` not `same-origin`): \
              `cross_site_request`; or a session that may only enrol a second factor, which the practice \
              requires of staff (`second_factor_enrolment_required`).",
    },
];
const ALWAYS: [Answer; 2] = [
    Answer { status: "500", why: "An internal error; its cause is logged, never sent (`internal`)." },
    Answer {
        status: "503",
        why: "The database is unavailable or full for now; try again after `Retry-After` seconds (`unavailable`).",
    },
];

impl Modify for StandardErrors {
    fn modify(&self, openapi: &mut OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") || path.ends_with("/openapi.json") {
                continue;
            }
            let operations =
                [item.get.as_mut(), item.put.as_mut(), item.post.as_mut(), item.delete.as_mut(), item.patch.as_mut()];
            for operation in operations.into_iter().flatten() {
                for answer in answers(operation) {
                    add(operation, answer);
                }
            }
        }
    }
}

/// The standard answers that fit `operation`, by what its request carries.
fn answers(operation: &Operation) -> Vec<&'static Answer> {
    let mut out = Vec::new();
    if operation.request_body.is_some() {
        out.extend(BODY.iter());
    }
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let has = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    if has(ParameterIn::Query) {
        out.extend(QUERY.iter());
    }
    if has(ParameterIn::Header) {
        out.push(&HEADER);
    }
    if parameters.iter().any(|p| p.name.eq_ignore_ascii_case("idempotency-key")) {
        out.push(&IDEMPOTENCY);
    }
    if has(ParameterIn::Path) {
        out.push(&PATH);
    }
    match signed_in(operation) {
        Some(Scheme::Session) => out.extend(SIGNED_IN.iter()),
        Some(Scheme::OperatorKey) => out.extend(SIGNED_IN.iter().take(1)),
        None => {}
    }
    out.extend(ALWAYS.iter());
    out
}

enum Scheme {
    /// A session token, or the session cookie (which may be refused as cross-site).
    Session,
    /// An operator key: a bearer token only, never a cookie.
    OperatorKey,
}

/// How the operation is signed in to, from its security requirements.
fn signed_in(operation: &Operation) -> Option<Scheme> {
    let requirements = serde_json::to_value(operation.security.as_ref()?).ok()?;
    let names: Vec<String> =
        requirements.as_array()?.iter().filter_map(|r| r.as_object()).flat_map(|r| r.keys().cloned()).collect();
    if names.iter().any(|n| n == "bearer") {
        Some(Scheme::Session)
    } else if names.iter().any(|n| n == "operator") {
        Some(Scheme::OperatorKey)
    } else {
        None
    }
}

fn add(operation: &mut Operation, answer: &Answer) {
    let responses = &mut operation.responses.responses;
    if responses.contains_key(answer.status) {
        return;
    }
    responses.insert(answer.status.to_owned(), RefOr::T(error_response(answer.why)));
}

fn error_response(why: &str) -> Response {
    ResponseBuilder::new()
        .description(why)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody"))).build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    fn document() -> Value {
        serde_json::from_str(&crate::openapi::openapi_json()).unwrap_or_default()
    }

    /// Query structs must say they are queries: utoipa cannot tell from our
    /// own extractors and would publish their fields as path parameters.
    #[test]
    fn path_parameters_are_the_paths_placeholders() {
        let doc = document();
        let paths = doc["paths"].as_object().cloned().unwrap_or_default();
        assert!(paths.len() > 50, "the document lists the routes");
        for (path, item) in paths {
            for (method, op) in item.as_object().cloned().unwrap_or_default() {
                for param in op["parameters"].as_array().cloned().unwrap_or_default() {
                    let name = param["name"].as_str().unwrap_or_default();
                    let placeholder = path.contains(&format!("{{{name}}}"));
                    assert_eq!(
                        param["in"] == "path",
                        placeholder,
                        "{method} {path}: parameter {name} is in {}",
                        param["in"]
                    );
                }
            }
        }
    }

    #[test]
    fn every_api_operation_documents_the_errors_its_request_can_meet() {
        let doc = document();
        let send = &doc["paths"]["/api/v1/conversations/{id}/messages"]["post"]["responses"];
        for status in ["400", "401", "403", "404", "413", "415", "422", "500", "503"] {
            assert_eq!(
                send[status]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/ErrorBody",
                "{status}"
            );
        }
        let operator = &doc["paths"]["/api/v1/operator/practices"]["get"]["responses"];
        assert!(operator.get("401").is_some() && operator.get("403").is_none(), "an operator key is never a cookie");
        let health = &doc["paths"]["/healthz"]["get"]["responses"];
        assert!(health.get("503").is_none(), "liveness does not touch the database");
    }
}
