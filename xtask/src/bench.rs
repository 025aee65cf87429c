//! `cargo xtask bench storage [--mb N]`: a large object through the daemon's
//! HTTP API on the `local` driver, against the same bytes copied by `cp` on
//! the same disk, in one run; and the daemon's peak memory meanwhile.
//!
//! The daemon is the release build. Each side runs [`ROUNDS`] times,
//! alternating, and the medians are compared: put (HTTP upload streamed into
//! the driver, which fsyncs) against `cp` + fsync, get (streamed back and
//! discarded) against `cat` to `/dev/null`.

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ROUNDS: usize = 3;
/// Where the release daemon is built.
const RELEASE_TARGET: &str = "target/bench-build";

/// Runs a benchmark by name.
pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let mut mb: u64 = 1024;
    let mut rest = args.iter();
    let what = rest.next().map(String::as_str).unwrap_or("");
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--mb" => {
                mb = rest
                    .next()
                    .context("--mb needs a size in MiB")?
                    .parse()
                    .context("--mb needs a whole number of MiB")?
            }
            other => bail!("unknown argument {other}; usage: cargo xtask bench storage [--mb N]"),
        }
    }
    match what {
        "storage" => storage(root, mb),
        _ => bail!("usage: cargo xtask bench storage [--mb N]"),
    }
}

fn storage(root: &Path, mb: u64) -> Result<()> {
    super::build(root)?;
    // A target folder of its own: the release build then never waits for
    // (or invalidates) the debug build's lock.
    super::run(
        super::cargo()
            .args(["build", "--release", "-p", "paddock"])
            .env("CARGO_TARGET_DIR", root.join(RELEASE_TARGET)),
    )?;
    let dir = root.join("target/bench/storage");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let source = dir.join("source.bin");
    write_pattern(&source, mb << 20)?;

    let port = free_port()?;
    let mut daemon = Daemon::start(root, &dir, port)?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(3600))
        .build()?;
    client
        .post(format!("{base}/tools/domains/storage/create_container"))
        .json(&serde_json::json!({"name": "bench"}))
        .send()?
        .error_for_status()?;
    let rss_idle = rss_kib(daemon.pid(), "VmRSS")?;

    let (mut put, mut get, mut cp, mut cat) = (vec![], vec![], vec![], vec![]);
    for round in 0..ROUNDS {
        let copy = dir.join("copy.bin");
        let started = Instant::now();
        super::run(Command::new("cp").arg(&source).arg(&copy))?;
        std::fs::File::open(&copy)?.sync_all()?;
        cp.push(started.elapsed());

        let started = Instant::now();
        super::run(
            Command::new("sh")
                .arg("-c")
                .arg(format!("cat '{}' > /dev/null", copy.display())),
        )?;
        cat.push(started.elapsed());
        std::fs::remove_file(&copy)?;

        let file = std::fs::File::open(&source)?;
        let started = Instant::now();
        let reply = client
            .post(format!(
                "{base}/tools/domains/storage/put?container=bench&key=big.bin"
            ))
            .header("content-type", "application/octet-stream")
            .body(reqwest::blocking::Body::sized(file, mb << 20))
            .send()?;
        if !reply.status().is_success() {
            bail!("put failed: {} {}", reply.status(), reply.text()?);
        }
        put.push(started.elapsed());

        let started = Instant::now();
        let mut reply = client
            .post(format!("{base}/tools/domains/storage/get"))
            .json(&serde_json::json!({"container": "bench", "key": "big.bin"}))
            .send()?
            .error_for_status()?;
        let received = std::io::copy(&mut reply, &mut std::io::sink())?;
        get.push(started.elapsed());
        if received != mb << 20 {
            bail!("get returned {received} bytes, expected {}", mb << 20);
        }
        eprintln!(
            "round {}: put {:?} get {:?} cp {:?} cat {:?}",
            round + 1,
            put[round],
            get[round],
            cp[round],
            cat[round]
        );
    }
    let rss_peak = rss_kib(daemon.pid(), "VmHWM")?;
    daemon.stop();

    let (put, get, cp, cat) = (median(put), median(get), median(cp), median(cat));
    let gib = |d: Duration| (mb as f64 / 1024.0) / d.as_secs_f64();
    let report = format!(
        "| {mb} MiB | put {:.2} s ({:.2} GiB/s) | cp+fsync {:.2} s | **{:.2}×** | get {:.2} s ({:.2} GiB/s) | cat {:.2} s | **{:.2}×** | put+get vs cp: **{:.2}×** | peak RSS {} MiB (idle {} MiB) |",
        put.as_secs_f64(),
        gib(put),
        cp.as_secs_f64(),
        put.as_secs_f64() / cp.as_secs_f64(),
        get.as_secs_f64(),
        gib(get),
        cat.as_secs_f64(),
        get.as_secs_f64() / cat.as_secs_f64(),
        (put + get).as_secs_f64() / cp.as_secs_f64(),
        rss_peak / 1024,
        rss_idle / 1024,
    );
    println!("{report}");
    std::fs::write(dir.join("result.md"), format!("{report}\n"))?;
    let _ = std::fs::remove_file(&source);
    Ok(())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// `size` bytes that do not compress or dedupe, written and synced.
fn write_pattern(path: &Path, size: u64) -> Result<()> {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for word in chunk.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes()[..word.len()]);
        }
        let n = left.min(chunk.len() as u64) as usize;
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    file.into_inner()?.sync_all()?;
    Ok(())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A kibibyte figure of `/proc/<pid>/status` (`VmRSS`, `VmHWM`).
fn rss_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .with_context(|| format!("no {field} in /proc/{pid}/status"))
}

struct Daemon(Child);

impl Daemon {
    fn start(root: &Path, dir: &Path, port: u16) -> Result<Self> {
        let log = std::fs::File::create(dir.join("daemon.log"))?;
        let child = Command::new(root.join(RELEASE_TARGET).join("release/paddock"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .arg("--plugins")
            .arg(root.join(".paddock/plugins"))
            .arg("--data")
            .arg(dir.join("data"))
            .env("PADDOCK_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting the release paddock")?;
        let daemon = Daemon(child);
        let started = Instant::now();
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                let _ = stream.write_all(b"GET /health HTTP/1.0\r\n\r\n");
                let mut answer = String::new();
                let _ = stream.read_to_string(&mut answer);
                if answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200") {
                    return Ok(daemon);
                }
            }
            if started.elapsed() > Duration::from_secs(60) {
                bail!(
                    "the daemon did not answer /health; see {}",
                    dir.join("daemon.log").display()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}
