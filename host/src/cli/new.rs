//! `paddock new DOMAIN NAME`: a driver crate, outside this repository, that
//! builds to a working `.wasm` with one `cargo build --release`.

use super::exit;
use std::path::{Path, PathBuf};

/// Arguments of `paddock new`.
#[derive(clap::Args)]
pub struct NewArgs {
    /// The domain: db, deploy or storage.
    domain: String,
    /// The driver's name (`my_store`): a-z, 0-9, '_' and '-'.
    name: String,
    /// Where to create the crate [default: ./NAME].
    #[arg(long)]
    dir: Option<PathBuf>,
    /// The paddock-sdk folder to depend on [default: the SDK this paddock was built from].
    #[arg(long, env = "PADDOCK_SDK")]
    sdk: Option<PathBuf>,
}

const STORAGE: &str = include_str!("templates/storage.rs.txt");
const DB: &str = include_str!("templates/db.rs.txt");
const DEPLOY: &str = include_str!("templates/deploy.rs.txt");

pub fn run(args: NewArgs) -> u8 {
    let template = match args.domain.as_str() {
        "storage" => STORAGE,
        "db" => DB,
        "deploy" => DEPLOY,
        other => {
            eprintln!("error: unknown domain '{other}'; choose db, deploy or storage");
            return exit::USAGE;
        }
    };
    let name = &args.name;
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
    {
        eprintln!("error: driver name '{name}' is not valid: use a-z, 0-9, '_' and '-'");
        return exit::USAGE;
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(name));
    if dir.exists() {
        eprintln!(
            "error: {} already exists; choose another --dir",
            dir.display()
        );
        return exit::USAGE;
    }
    let sdk = args
        .sdk
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../sdk"));
    let sdk = match sdk.canonicalize() {
        Ok(p) => p,
        Err(e) => {
            eprintln!(
                "error: the SDK folder {} is not there ({e}); pass --sdk PATH/TO/paddock/sdk",
                sdk.display()
            );
            return exit::USAGE;
        }
    };
    let crate_name = name.replace('_', "-");
    let files = [
        (
            "Cargo.toml",
            format!(
                "[package]\nname = \"{crate_name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[lib]\ncrate-type = [\"cdylib\"]\n\n[dependencies]\npaddock-sdk = {{ path = {:?} }}\n\n[profile.release]\nopt-level = \"s\"\nstrip = true\n\n[workspace]\n",
                sdk.display().to_string()
            ),
        ),
        (
            ".cargo/config.toml",
            "[build]\ntarget = \"wasm32-wasip2\"\n".to_string(),
        ),
        ("src/lib.rs", template.replace("{{name}}", name)),
        (".gitignore", "/target\n".to_string()),
        (
            "README.md",
            format!(
                "# {name}\n\nA paddock {domain} driver.\n\n```sh\nrustup target add wasm32-wasip2   # once\ncargo build --release\npaddock inspect target/wasm32-wasip2/release/{file}.wasm\ncp target/wasm32-wasip2/release/{file}.wasm <paddock plugins folder>/\n```\n\nThen select it for a slot: `{env}_DRIVER={name}`, or `driver = \"{name}\"` under the slot in paddock.toml.\n",
                domain = args.domain,
                file = crate_name.replace('-', "_"),
                env = match args.domain.as_str() {
                    "db" => "DB",
                    "storage" => "STORAGE",
                    _ => "FRONTEND",
                },
            ),
        ),
    ];
    for (path, content) in files {
        let path = dir.join(path);
        if let Err(e) = std::fs::create_dir_all(path.parent().expect("has a parent"))
            .and_then(|_| std::fs::write(&path, content))
        {
            eprintln!("error: cannot write {}: {e}", path.display());
            return exit::INTERNAL;
        }
    }
    println!(
        "created {} ({} driver '{name}')",
        dir.display(),
        args.domain
    );
    println!("build it:  cd {} && cargo build --release", dir.display());
    println!(
        "the driver: {}/target/wasm32-wasip2/release/{}.wasm",
        dir.display(),
        crate_name.replace('-', "_")
    );
    exit::OK
}
