//! The MCP server: one tool per slot verb, over stdio (`paddock mcp`) and
//! streamable HTTP (`/mcp` on the daemon). See [`tools`] for the tool names,
//! schemas and results, and [`server`] for sessions and change notifications.

pub mod server;
pub mod tools;

pub use server::{McpServer, http_service};
pub use tools::{ToolSet, tool_name};
