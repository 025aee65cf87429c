//! `paddock inspect FILE.wasm`: what a driver is and asks for, without
//! running any verb (only `describe`, with nothing lent).

use super::{driver_json, exit};
use crate::runtime::{CodeCache, Driver, Limits, Runtime};
use std::path::Path;

pub async fn run(file: &Path, as_json: bool) -> u8 {
    let runtime = match Runtime::new(Limits::default()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::INTERNAL;
        }
    };
    let driver = match Driver::load(&runtime, &CodeCache::new(None), file).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::DRIVER;
        }
    };
    let j = driver_json(&driver);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&j).expect("json"));
        return exit::OK;
    }
    let m = &driver.manifest;
    println!("{} {} — {} driver", m.name, m.version, driver.domain);
    println!("  {}", m.description);
    println!("file:        {}", driver.path.display());
    println!("sha256:      {}", driver.sha256);
    println!(
        "implements:  {} (world {}-driver)",
        driver.interface, driver.domain
    );
    if !m.aliases.is_empty() {
        println!("aliases:     {}", m.aliases.join(", "));
    }
    println!(
        "concurrency: {}",
        serde_json::to_value(m.concurrency)
            .unwrap_or_default()
            .as_str()
            .unwrap_or("")
    );
    println!(
        "verbs:       {}",
        j["verbs"]
            .as_array()
            .map(|v| v
                .iter()
                .filter_map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default()
    );
    println!("settings:");
    if m.settings.is_empty() {
        println!("  (none)");
    }
    for s in &m.settings {
        println!(
            "  {}{}{}{} — {}",
            s.name,
            if s.required { " (required)" } else { "" },
            s.env
                .as_ref()
                .map(|e| format!(" env {e}"))
                .unwrap_or_default(),
            s.default_value
                .as_ref()
                .map(|d| format!(" default {d:?}"))
                .unwrap_or_default(),
            s.description
        );
    }
    let c = &m.capabilities;
    println!("asks for:");
    let list = |v: &Vec<String>| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    println!("  http:    {}", list(&c.http));
    println!("  secrets: {}", list(&c.secrets));
    println!("  tcp:     {}", list(&c.tcp));
    println!(
        "  folder:  {}",
        match c.folder {
            None => "none",
            Some(crate::runtime::FolderAccess::ReadOnly) => "read-only",
            Some(crate::runtime::FolderAccess::ReadWrite) => "read-write",
        }
    );
    println!("  state:   {}", if c.state { "yes" } else { "no" });
    exit::OK
}
