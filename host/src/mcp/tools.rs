//! The MCP tool list, derived from the registry, and how a tool call runs.
//!
//! One tool per verb of every working slot, named `<slot>.<verb>` with the
//! verb in snake_case (`db.query`, `storage.put`, `frontend.create`,
//! `db.list_branches`): a name that stays the same when the operator points
//! the slot at another driver, and reads like the HTTP path
//! (`/tools/domains/db/query`) and the CLI (`paddock call db query`). Slot
//! names are `[a-z][a-z0-9_-]*`, so every name is a valid MCP tool name.
//!
//! Each tool's input and output schemas come from the driver's own WIT types
//! ([`crate::domains::schema`]); its description from the WIT doc comment and
//! the driver's manifest. A failed call is a tool result with `isError: true`
//! and the HTTP API's error body as structured content:
//! `{"error": {"kind", "message", "slot", "verb", …}}`.

use crate::domains::schema::{self, ResultShape};
use crate::domains::{json::json_name, storage};
use crate::error::CallError;
use crate::runtime::Domain;
use crate::service::{Registry, Service};
use rmcp::model::{CallToolResult, ErrorData, JsonObject, Tool};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

/// The name of the tool for `verb` (WIT or JSON spelling) of `slot`.
pub fn tool_name(slot: &str, verb: &str) -> String {
    format!("{slot}.{}", json_name(verb))
}

/// Where a tool call goes.
#[derive(Debug, Clone)]
struct Route {
    slot: String,
    verb: String,
    domain: Domain,
    shape: ResultShape,
}

/// The tools of one registry.
pub struct ToolSet {
    registry: Arc<Registry>,
    tools: Vec<Tool>,
    routes: HashMap<String, Route>,
}

impl ToolSet {
    /// The tools of every working slot of `registry`, by slot then verb.
    pub fn build(registry: Arc<Registry>) -> ToolSet {
        let mut tools = Vec::new();
        let mut routes = HashMap::new();
        for (slot, entry) in &registry.slots {
            let Ok(binding) = &entry.binding else {
                continue;
            };
            let driver = &binding.driver;
            for verb in driver.verbs() {
                let name = tool_name(slot, &verb.name);
                let Some(schemas) = schema::verb_schemas(driver.domain, verb) else {
                    tracing::debug!(tool = %name, "not offered over MCP: it takes or answers values JSON cannot carry");
                    continue;
                };
                let domain = driver.domain.as_str();
                let description = format!(
                    "{}\n\nSlot `{slot}`{}, served by {} {}: {}",
                    schemas
                        .docs
                        .unwrap_or_else(|| format!("`{}` of the {domain} interface.", verb.name)),
                    if slot == domain {
                        String::new()
                    } else {
                        format!(" ({domain})")
                    },
                    driver.name(),
                    driver.manifest.version,
                    driver.manifest.description.trim(),
                );
                let tool = Tool::new(name.clone(), description, object(schemas.input))
                    .with_raw_output_schema(Arc::new(object(schemas.output)));
                routes.insert(
                    name,
                    Route {
                        slot: slot.clone(),
                        verb: json_name(&verb.name),
                        domain: driver.domain,
                        shape: schemas.shape,
                    },
                );
                tools.push(tool);
            }
        }
        ToolSet {
            registry,
            tools,
            routes,
        }
    }

    /// Whether this set was built from `registry`.
    pub fn is_of(&self, registry: &Arc<Registry>) -> bool {
        Arc::ptr_eq(&self.registry, registry)
    }

    /// The tools, as `tools/list` answers them.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// The tool called `name`.
    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }

    /// Whether both sets offer the same tools (names, schemas, descriptions).
    pub fn same_tools(&self, other: &ToolSet) -> bool {
        self.tools == other.tools
    }

    /// Runs the tool `name` with `arguments`. An unknown tool is a protocol
    /// error; everything else, including invalid arguments, is a tool result.
    pub async fn call(
        &self,
        service: &Service,
        name: &str,
        arguments: Option<JsonObject>,
    ) -> Result<CallToolResult, ErrorData> {
        let Some(route) = self.routes.get(name) else {
            let mut names: Vec<&str> = self.tools.iter().map(|t| t.name.as_ref()).collect();
            names.sort_unstable();
            return Err(ErrorData::invalid_params(
                format!("no tool named '{name}'; tools: {}", names.join(", ")),
                None,
            ));
        };
        let args = Value::Object(arguments.unwrap_or_default());
        let outcome = if route.domain == Domain::Storage && route.verb == "get" {
            match service.get_stream(&route.slot, args).await {
                Ok(download) => storage::inline_object(download, storage::MAX_INLINE_OBJECT).await,
                Err(e) => Err(e),
            }
        } else {
            service.call(&route.slot, &route.verb, args).await
        };
        Ok(match outcome {
            Ok(answer) => CallToolResult::structured(route.shape.apply(answer)),
            Err(e) => CallToolResult::structured_error(error_body(&e, &route.slot, &route.verb)),
        })
    }
}

/// `{"error": {"kind", "message", "slot", "verb", …}}`, the body of the HTTP
/// API's error answers.
pub fn error_body(error: &CallError, slot: &str, verb: &str) -> Value {
    let mut body = serde_json::to_value(error).unwrap_or_else(|_| json!({}));
    body["slot"] = json!(slot);
    body["verb"] = json!(verb);
    json!({ "error": body })
}

fn object(schema: Value) -> JsonObject {
    match schema {
        Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn tools_are_named_after_the_slot_and_the_snake_case_verb() {
        assert_eq!(tool_name("db", "list-branches"), "db.list_branches");
        assert_eq!(tool_name("analytics-db", "query"), "analytics-db.query");
        assert_eq!(tool_name("storage", "put"), "storage.put");
    }

    #[test]
    fn errors_carry_the_http_error_body() {
        let mut error = CallError::new(ErrorKind::Unavailable, "try later");
        error.retry_after_ms = Some(1500);
        assert_eq!(
            error_body(&error, "storage", "get"),
            json!({"error": {
                "kind": "unavailable",
                "message": "try later",
                "retry_after_ms": 1500,
                "slot": "storage",
                "verb": "get",
            }})
        );
    }
}
