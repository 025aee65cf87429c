//! The MCP server: an `rmcp` [`ServerHandler`] over the service, for stdio
//! (`paddock mcp`) and streamable HTTP (`/mcp` on the daemon).
//!
//! The tool list follows the registry. A watcher task wakes on every reload
//! ([`Service::subscribe`]), rebuilds the list and, when it actually changed,
//! tells every live client `notifications/tools/list_changed`: sessions that
//! began with `initialize` (protocol versions up to 2025-11-25) through their
//! peer, and 2026-07-28 clients through their `subscriptions/listen` stream.

use super::tools::ToolSet;
use crate::service::Service;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, ErrorData, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerConfig, SubscriptionFilter, Tool,
};
use rmcp::service::{NotificationContext, RequestContext, SubscriptionContext};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{Peer, RoleServer, ServerHandler, ServiceExt};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

/// What every session of one server shares.
struct Shared {
    service: Arc<Service>,
    /// The tools of the newest registry seen.
    tools: Mutex<Arc<ToolSet>>,
    /// Bumped each time the tool list changes.
    changes: watch::Sender<u64>,
    /// Sessions that began with `initialize`, to notify.
    peers: Mutex<Vec<Peer<RoleServer>>>,
}

impl Shared {
    /// The tools of the service's current registry (rebuilt when it changed).
    fn tools(&self) -> Arc<ToolSet> {
        let registry = self.service.registry();
        let mut current = self.tools.lock().expect("tools lock");
        if !current.is_of(&registry) {
            *current = Arc::new(ToolSet::build(registry));
        }
        current.clone()
    }

    /// Tells every client that the tool list changed.
    fn announce(&self) {
        self.changes.send_modify(|n| *n += 1);
        let mut peers = self.peers.lock().expect("peers lock");
        peers.retain(|p| !p.is_transport_closed());
        tracing::info!(
            sessions = peers.len(),
            "the tool list changed; notifying MCP clients"
        );
        for peer in peers.iter() {
            let peer = peer.clone();
            tokio::spawn(async move {
                if let Err(e) = peer.notify_tool_list_changed().await {
                    tracing::debug!("an MCP client missed tools/list_changed: {e}");
                }
            });
        }
    }
}

/// The MCP server of one service; cheap to clone (one per HTTP session).
#[derive(Clone)]
pub struct McpServer {
    shared: Arc<Shared>,
}

impl McpServer {
    /// A server for `service`, watching it for tool list changes. Must be
    /// called inside a Tokio runtime (it spawns the watcher).
    pub fn new(service: Arc<Service>) -> McpServer {
        let shared = Arc::new(Shared {
            tools: Mutex::new(Arc::new(ToolSet::build(service.registry()))),
            service,
            changes: watch::Sender::new(0),
            peers: Mutex::default(),
        });
        tokio::spawn(watch_registry(Arc::downgrade(&shared)));
        McpServer { shared }
    }

    /// Serves one client over stdin/stdout until it closes them.
    pub async fn serve_stdio(self) -> anyhow::Result<()> {
        let running = self
            .serve(rmcp::transport::io::stdio_pipes())
            .await
            .map_err(|e| anyhow::anyhow!("the MCP session did not start: {e}"))?;
        let reason = running.waiting().await?;
        tracing::info!("the MCP client went away ({reason:?})");
        Ok(())
    }
}

/// Rebuilds the tool list after every reload; announces it when it changed.
/// Ends when the server is gone.
async fn watch_registry(shared: std::sync::Weak<Shared>) {
    let (mut reloads, mut last) = match shared.upgrade() {
        Some(s) => (s.service.subscribe(), s.tools()),
        None => return,
    };
    while reloads.changed().await.is_ok() {
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let tools = shared.tools();
        if !tools.same_tools(&last) {
            shared.announce();
        }
        last = tools;
    }
}

/// The streamable HTTP endpoint (`/mcp`) of the daemon listening on `listen`.
///
/// No authentication yet, as for the rest of the HTTP API: the daemon is
/// meant for loopback. Against DNS rebinding and other web pages, requests
/// must name a loopback `Host` (`127.0.0.1`, `localhost`, `::1`), and an
/// `Origin`, when a browser sends one, must be the daemon's own
/// (`http://127.0.0.1:PORT`, `http://localhost:PORT`). Requests are limited
/// to the HTTP API's JSON body limit. `shutdown` ends the long-lived event
/// streams, so a graceful shutdown does not wait on them.
pub fn http_service(
    service: Arc<Service>,
    listen: SocketAddr,
    shutdown: CancellationToken,
) -> StreamableHttpService<McpServer, LocalSessionManager> {
    let server = McpServer::new(service);
    let port = match listen.port() {
        0 => "*".to_string(),
        p => p.to_string(),
    };
    let origins: Vec<String> = ["127.0.0.1", "localhost", "[::1]"]
        .iter()
        .map(|host| format!("http://{host}:{port}"))
        .collect();
    let config = StreamableHttpServerConfig::default()
        .with_allowed_hosts(["127.0.0.1", "localhost", "::1"])
        .with_allowed_origins(origins)
        .enforce_origin_validation()
        .with_max_request_body_bytes(crate::api::MAX_JSON_BODY)
        .with_cancellation_token(shutdown);
    StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    )
}

impl ServerHandler for McpServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(
            ServerCapabilities::builder()
                .enable_tools()
                .enable_tool_list_changed()
                .build(),
        )
        .with_server_info(Implementation::new("paddock", env!("CARGO_PKG_VERSION")))
        .with_instructions(
            "paddock serves the same verbs whatever vendor a slot uses. Tools are named \
             `<slot>.<verb>` (`db.query`, `storage.put`, `frontend.create`); the slots and \
             their drivers are configured by the operator, and the list changes when they \
             change. Failed calls answer {\"error\": {\"kind\", \"message\"}} with a stable \
             kind (`not-found`, `invalid-input`, `unsupported`, …).",
        )
    }

    async fn on_initialized(&self, context: NotificationContext<RoleServer>) {
        let mut peers = self.shared.peers.lock().expect("peers lock");
        peers.retain(|p| !p.is_transport_closed());
        peers.push(context.peer);
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(
            self.shared.tools().tools().to_vec(),
        ))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        self.shared.tools().get(name).cloned()
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let caller = context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<crate::api::auth::Caller>());
        if let Some(caller) = caller
            && let Some((slot, verb)) = request.name.split_once('.')
            && let Err(message) = caller.check(slot, verb)
        {
            return Err(ErrorData::invalid_request(message, None));
        }
        let tools = self.shared.tools();
        tools
            .call(&self.shared.service, &request.name, request.arguments)
            .await
            .map(Into::into)
    }

    fn accepted_subscription_filter(
        &self,
        requested: &SubscriptionFilter,
    ) -> Option<SubscriptionFilter> {
        Some(if requested.tools_list_changed == Some(true) {
            SubscriptionFilter::builder().tools_list_changed().build()
        } else {
            SubscriptionFilter::new()
        })
    }

    async fn listen(&self, context: SubscriptionContext) -> Result<(), ErrorData> {
        if context.accepted().tools_list_changed != Some(true) {
            context.cancelled().await;
            return Ok(());
        }
        let mut changes = self.shared.changes.subscribe();
        loop {
            tokio::select! {
                _ = context.cancelled() => return Ok(()),
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Ok(());
                    }
                    if let Err(e) = context.sink().notify_tool_list_changed().await {
                        tracing::debug!("an MCP subscription missed tools/list_changed: {e}");
                        return Ok(());
                    }
                }
            }
        }
    }
}
