//! `paddock call SLOT VERB`: through the running daemon when there is one,
//! in-process otherwise.

use super::{ConfigArgs, config_failed, exit, start_service};
use crate::capabilities::body::BodySource;
use crate::error::CallError;
use crate::service::Service;
use futures::StreamExt;
use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;

/// Arguments of `paddock call`.
#[derive(clap::Args)]
pub struct CallArgs {
    /// The slot (`db`, `storage`, `frontend`, …).
    slot: String,
    /// The verb (`query`, `put`, `list_branches`, …).
    verb: String,
    /// Arguments as JSON, or @FILE to read them from a file.
    #[arg(long, default_value = "{}")]
    json: String,
    /// For `storage put`: the file whose bytes to store (streamed).
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// For `storage get`: write the object here instead of stdout.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The daemon to call [default: http://<listen address>].
    #[arg(long, env = "PADDOCK_URL")]
    url: Option<String>,
    /// Run the call in this process even when a daemon is running.
    #[arg(long)]
    in_process: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

pub async fn run(args: CallArgs) -> u8 {
    let json_text = match args.json.strip_prefix('@') {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: cannot read {path}: {e}");
                return exit::USAGE;
            }
        },
        None => args.json.clone(),
    };
    let call_args: Value = match serde_json::from_str(&json_text) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: --json is not valid JSON: {e}");
            return exit::USAGE;
        }
    };
    let config = match args.config.load() {
        Ok(c) => c,
        Err(e) => return config_failed(&e),
    };
    if !args.in_process {
        let url = args
            .url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        match remote(&url, &args, &call_args).await {
            Ok(code) => return code,
            Err(e) if e.is_connect() => {
                eprintln!("note: no daemon at {url}; running the call in-process");
            }
            Err(e) => {
                eprintln!("error: calling {url}: {e}");
                return exit::INTERNAL;
            }
        }
    }
    let service = match start_service(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return exit::INTERNAL;
        }
    };
    local(&service, &args, call_args).await
}

fn is_storage_verb(verb: &str, name: &str) -> bool {
    verb.replace('_', "-") == name
}

async fn local(service: &Service, args: &CallArgs, call_args: Value) -> u8 {
    let outcome = if is_storage_verb(&args.verb, "get") && storage_slot(service, &args.slot) {
        match service.get_stream(&args.slot, call_args).await {
            Ok(download) => return write_body(download.body, args.out.as_ref()).await,
            Err(e) => Err(e),
        }
    } else if let (Some(path), true) = (&args.body_file, is_storage_verb(&args.verb, "put")) {
        match tokio::fs::File::open(path).await {
            Ok(file) => {
                let size = file.metadata().await.ok().map(|m| m.len());
                let stream = tokio_util_stream(file);
                service
                    .put_stream(&args.slot, call_args, BodySource::new(stream, size))
                    .await
            }
            Err(e) => {
                eprintln!("error: cannot open {}: {e}", path.display());
                return exit::USAGE;
            }
        }
    } else {
        service.call(&args.slot, &args.verb, call_args).await
    };
    print_outcome(outcome)
}

fn storage_slot(service: &Service, slot: &str) -> bool {
    service
        .registry()
        .slots
        .get(paddock_config::canonical_slot_name(slot))
        .and_then(|s| s.domain)
        == Some(crate::runtime::Domain::Storage)
}

fn tokio_util_stream(file: tokio::fs::File) -> crate::capabilities::body::ByteStream {
    use tokio::io::AsyncReadExt;
    let stream = futures::stream::unfold(file, |mut file| async move {
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), file))
            }
            Err(e) => Some((Err(e), file)),
        }
    });
    Box::pin(stream)
}

fn print_outcome(outcome: Result<Value, CallError>) -> u8 {
    match outcome {
        Ok(v) => {
            println!("{}", serde_json::to_string_pretty(&v).expect("json"));
            exit::OK
        }
        Err(e) => {
            eprintln!(
                "error: {}: {}",
                e.kind,
                crate::capabilities::secrets::scrub(&e.message)
            );
            exit::CALL_FAILED
        }
    }
}

async fn write_body(
    mut body: std::pin::Pin<
        Box<dyn futures::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send>,
    >,
    out: Option<&PathBuf>,
) -> u8 {
    let mut sink: Box<dyn Write> = match out {
        Some(path) => match std::fs::File::create(path) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => {
                eprintln!("error: cannot create {}: {e}", path.display());
                return exit::USAGE;
            }
        },
        None => Box::new(std::io::stdout().lock()),
    };
    while let Some(chunk) = body.next().await {
        match chunk.and_then(|c| sink.write_all(&c)) {
            Ok(()) => {}
            Err(e) => {
                eprintln!("error: reading the object failed: {e}");
                return exit::CALL_FAILED;
            }
        }
    }
    let _ = sink.flush();
    exit::OK
}

async fn remote(url: &str, args: &CallArgs, call_args: &Value) -> Result<u8, reqwest::Error> {
    let client = reqwest::Client::new();
    let endpoint = format!(
        "{}/tools/domains/{}/{}",
        url.trim_end_matches('/'),
        args.slot,
        args.verb
    );
    let response = if let (Some(path), true) = (&args.body_file, is_storage_verb(&args.verb, "put"))
    {
        let file = match tokio::fs::File::open(path).await {
            Ok(f) => f,
            Err(e) => {
                eprintln!("error: cannot open {}: {e}", path.display());
                return Ok(exit::USAGE);
            }
        };
        let query: Vec<(String, String)> = match call_args {
            Value::Object(o) => o
                .iter()
                .flat_map(|(k, v)| match (k.as_str(), v) {
                    ("metadata", Value::Object(m)) => m
                        .iter()
                        .map(|(mk, mv)| {
                            (
                                format!("meta.{mk}"),
                                mv.as_str().unwrap_or_default().to_string(),
                            )
                        })
                        .collect::<Vec<_>>(),
                    (_, Value::String(s)) => vec![(k.clone(), s.clone())],
                    (_, other) => vec![(k.clone(), other.to_string())],
                })
                .collect(),
            _ => Vec::new(),
        };
        client
            .post(&endpoint)
            .query(&query)
            .header("content-type", "application/octet-stream")
            .body(reqwest::Body::wrap_stream(tokio_util_stream(file)))
            .send()
            .await?
    } else {
        client.post(&endpoint).json(call_args).send().await?
    };
    let status = response.status();
    if status.is_success()
        && is_storage_verb(&args.verb, "get")
        && !response.headers().get("content-type").is_some_and(|ct| {
            ct.as_bytes().starts_with(b"application/json")
                && response.headers().get("x-paddock-meta").is_none()
        })
    {
        let stream = response
            .bytes_stream()
            .map(|r| r.map_err(std::io::Error::other));
        return Ok(write_body(Box::pin(stream), args.out.as_ref()).await);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status.is_success() {
        println!("{}", serde_json::to_string_pretty(&body).expect("json"));
        Ok(exit::OK)
    } else {
        let kind = body["error"]["kind"].as_str().unwrap_or("error");
        let message = body["error"]["message"]
            .as_str()
            .unwrap_or("the daemon answered an error");
        eprintln!("error: {kind}: {message}");
        Ok(exit::CALL_FAILED)
    }
}
