//! `paddock serve`.

use super::{ConfigArgs, config_failed, exit, start_service};

pub async fn run(args: ConfigArgs) -> u8 {
    let config = match args.load() {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    let listen = config.listen;
    let started = std::time::Instant::now();
    let service = match start_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: cannot start: {e:#}");
            return exit::INTERNAL;
        }
    };
    let listener = match tokio::net::TcpListener::bind(listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "error: cannot listen on {listen}: {e} (choose another address with --listen or PADDOCK_LISTEN)"
            );
            return exit::INTERNAL;
        }
    };
    let local = listener.local_addr().unwrap_or(listen);
    tracing::info!(
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "paddock listening on http://{local}"
    );
    super::reload_on_sighup(service.clone());
    service.watch_plugins();
    let streams = tokio_util::sync::CancellationToken::new();
    let app = crate::api::router(service, local, streams.clone());
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            streams.cancel();
        })
        .await;
    match served {
        Ok(()) => exit::OK,
        Err(e) => {
            eprintln!("error: the server stopped: {e}");
            exit::INTERNAL
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down");
}
