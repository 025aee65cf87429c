//! `paddock mcp`: the MCP server over stdin/stdout, with the service in this
//! process. stdout carries the protocol only: logs go to stderr.

use super::{ConfigArgs, config_failed, exit, reload_on_sighup, start_service};

pub async fn run(args: ConfigArgs) -> u8 {
    let config = match args.load() {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    let service = match start_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start: {e:#}");
            return exit::INTERNAL;
        }
    };
    reload_on_sighup(service.clone());
    service.watch_plugins();
    match crate::mcp::McpServer::new(service).serve_stdio().await {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: {e:#}");
            exit::INTERNAL
        }
    }
}
