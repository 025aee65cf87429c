//! `paddock check`, `paddock slots`, `paddock drivers`: load the
//! configuration and drivers as `serve` would, and report.

use super::{ConfigArgs, config_failed, driver_json, exit, start_service};
use crate::service::Service;
use serde_json::json;

async fn start(args: &ConfigArgs) -> Result<std::sync::Arc<Service>, u8> {
    let config = args.load().map_err(|e| config_failed(&e))?;
    start_service(config).await.map_err(|e| {
        eprintln!("error: {e:#}");
        exit::INTERNAL
    })
}

/// Validates everything and lists every problem.
pub async fn run(args: ConfigArgs) -> u8 {
    let service = match start(&args).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let registry = service.registry();
    let config = service.config();
    println!(
        "config:  {}",
        config
            .config_file
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "none (built-in defaults)".into())
    );
    if let Some(d) = &config.drivers_file {
        println!("drivers: {}", d.display());
    }
    println!("plugins: {}", config.plugins_dir.display());
    let mut problems = 0;
    for (file, reason) in &registry.load_errors {
        problems += 1;
        println!("✗ driver file {}: {reason}", file.display());
    }
    for view in registry.slot_views() {
        match &view.error {
            None => println!(
                "✓ slot {} → {} ({})",
                view.slot, view.driver, view.driver_source
            ),
            Some(e) => {
                problems += 1;
                println!("✗ slot {} ({}): {e}", view.slot, view.driver_source);
            }
        }
    }
    if problems == 0 {
        println!("ok: every slot has a working driver");
        exit::OK
    } else {
        println!("{problems} problem(s) found");
        exit::CONFIG
    }
}

/// `paddock slots`.
pub async fn slots(args: ConfigArgs, as_json: bool) -> u8 {
    let service = match start(&args).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let views = service.registry().slot_views();
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"slots": views})).expect("json")
        );
        return exit::OK;
    }
    for v in views {
        println!(
            "{:<12} {:<8} {:<16} {:<7} from {}",
            v.slot,
            v.domain
                .map(|d| d.to_string())
                .unwrap_or_else(|| "?".into()),
            v.driver,
            v.status,
            v.driver_source
        );
        if let Some(e) = &v.error {
            println!("             {e}");
        }
        if let Some(r) = &v.requested {
            println!(
                "             asks for: http [{}] secrets [{}] tcp [{}] folder {} state {}",
                r.http.join(", "),
                r.secrets.join(", "),
                r.tcp.join(", "),
                r.folder
                    .map(|f| format!("{f:?}"))
                    .unwrap_or_else(|| "none".into()),
                r.state
            );
            let g = &v.granted;
            println!(
                "             granted:  http [{}] secrets [{}] tcp [{}] folder {} state {}",
                g.http.join(", "),
                g.secrets.join(", "),
                g.tcp.join(", "),
                g.folder.clone().unwrap_or_else(|| "none".into()),
                g.state
            );
            if !g.reveal.is_empty() {
                println!("             revealed: [{}]", g.reveal.join(", "));
            }
            for (name, origins) in &g.secret_hosts {
                println!("             {name} only to: [{}]", origins.join(", "));
            }
        }
    }
    exit::OK
}

/// `paddock drivers`.
pub async fn drivers(args: ConfigArgs, as_json: bool) -> u8 {
    let service = match start(&args).await {
        Ok(s) => s,
        Err(code) => return code,
    };
    let registry = service.registry();
    let drivers = registry.unique_drivers();
    if as_json {
        let list: Vec<_> = drivers.iter().map(|d| driver_json(d)).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"drivers": list})).expect("json")
        );
        return exit::OK;
    }
    for d in drivers {
        let aliases = if d.manifest.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also {})", d.manifest.aliases.join(", "))
        };
        println!(
            "{:<14} {:<8} {:<8} {}{aliases}",
            d.name(),
            d.domain,
            d.manifest.version,
            d.path.display()
        );
    }
    for (file, reason) in &registry.load_errors {
        println!("✗ {}: {reason}", file.display());
    }
    exit::OK
}
