//! The storage suite: what every storage driver must do, per the doc
//! comments of `wit/driver/0.1.0/storage.wit`. Each check stands alone on a
//! container of its own run (`paddock-kit-<random>`), removed at the end.

use super::{Check, Failure, Harness, Outcome, expect, rand_suffix, run_checks};
use crate::capabilities::body::BodySource;
use futures::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const KEY: &str = "kit/hello.txt";
const BODY: &str = "hello, conformance";

/// Runs the suite.
pub(super) async fn run(h: &Harness) -> Vec<Outcome> {
    let c = format!("paddock-kit-{:08x}", rand_suffix());
    let c = c.as_str();
    let checks: Vec<(&'static str, Check<'_>)> = vec![
        ("health reports healthy", Box::pin(health(h))),
        (
            "create-container, then again: already-exists",
            Box::pin(create(h, c)),
        ),
        ("list-containers shows it", Box::pin(listed(h, c))),
        ("put with content type and metadata", Box::pin(put(h, c))),
        ("head returns what put stored", Box::pin(head(h, c))),
        ("get returns the bytes", Box::pin(get(h, c))),
        ("put replaces: new bytes, new etag", Box::pin(replace(h, c))),
        (
            "byte ranges: middle, to the end, cut at the end",
            Box::pin(ranges(h, c)),
        ),
        (
            "range starting past the end: invalid-input",
            Box::pin(range_past_end(h, c)),
        ),
        (
            "missing key: not-found (get, head)",
            Box::pin(missing_key(h, c)),
        ),
        (
            "missing container: not-found",
            Box::pin(missing_container(h)),
        ),
        ("bad keys: invalid-input", Box::pin(bad_keys(h, c))),
        (
            "list: prefix and delimiter roll-up",
            Box::pin(list_rollup(h, c)),
        ),
        (
            "list: pages in key order, no repeats",
            Box::pin(pagination(h, c)),
        ),
        ("large object streamed both ways", Box::pin(large(h, c))),
        ("delete, and delete again", Box::pin(delete(h, c))),
        (
            "delete-container with objects: conflict",
            Box::pin(busy_container(h, c)),
        ),
        (
            "clean up: empty and delete the container",
            Box::pin(cleanup(h, c)),
        ),
    ];
    run_checks(checks).await
}

async fn health(h: &Harness) -> Result<(), Failure> {
    let report = h.ok("health", json!({})).await?;
    expect(
        report["healthy"] == true,
        || format!("health answered {report}"),
        "health must report healthy when the backend is reachable and usable",
    )
}

async fn create(h: &Harness, c: &str) -> Result<(), Failure> {
    h.ok("create_container", json!({"name": c})).await?;
    h.fails(
        "create_container",
        json!({"name": c}),
        "already-exists",
        "create-container of an existing container is already-exists",
    )
    .await
    .map(drop)
}

async fn listed(h: &Harness, c: &str) -> Result<(), Failure> {
    let list = h.ok("list_containers", json!({})).await?;
    let found = list
        .as_array()
        .is_some_and(|l| l.iter().any(|x| x["name"] == c));
    expect(
        found,
        || format!("{c} is not in {list}"),
        "list-containers lists every container, by name",
    )
}

async fn put_text(h: &Harness, c: &str, key: &str, body: &str) -> Result<Value, Failure> {
    h.ok("put", json!({"container": c, "key": key, "body": body}))
        .await
}

async fn put(h: &Harness, c: &str) -> Result<(), Failure> {
    let meta = h
        .ok(
            "put",
            json!({"container": c, "key": KEY, "body": BODY, "content_type": "text/plain",
                   "metadata": {"author": "kit"}}),
        )
        .await?;
    expect(
        meta["key"] == KEY && meta["size"] == BODY.len(),
        || format!("put answered {meta}"),
        "put returns the object's meta: its key and size in bytes",
    )?;
    expect(
        meta["etag"]
            .as_str()
            .is_some_and(|e| !e.is_empty() && !e.starts_with('"')),
        || format!("etag {} is empty or quoted", meta["etag"]),
        "etag is an opaque tag without quotes",
    )
}

async fn head(h: &Harness, c: &str) -> Result<(), Failure> {
    let meta = h.ok("head", json!({"container": c, "key": KEY})).await?;
    expect(
        meta["size"] == BODY.len() && meta["content_type"] == "text/plain",
        || format!("head answered {meta}"),
        "head returns the size and content type given at put",
    )?;
    expect(
        meta["metadata"]["author"] == "kit",
        || format!("metadata {} lacks author=kit", meta["metadata"]),
        "head returns the user metadata given at put",
    )?;
    expect(
        meta["modified_ms"]
            .as_u64()
            .is_some_and(|m| m > 1_500_000_000_000),
        || format!("modified_ms {} is not a time in ms", meta["modified_ms"]),
        "modified-ms is milliseconds since the Unix epoch",
    )
}

async fn get_bytes(h: &Harness, args: Value) -> Result<(Value, Vec<u8>), Failure> {
    let download = h
        .service()
        .get_stream(h.slot(), args.clone())
        .await
        .map_err(|e| {
            Failure::new(
                format!("get({args}) failed: {}: {}", e.kind, e.message),
                "get must succeed here",
            )
        })?;
    let mut bytes = Vec::new();
    let mut body = download.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::new(
                format!("reading get({args}) failed: {e}"),
                "object-reader.read must return the bytes, then none",
            )
        })?;
        bytes.extend_from_slice(&chunk);
    }
    let head = json!({"meta": download.meta, "offset": download.offset, "length": download.length});
    Ok((head, bytes))
}

async fn get(h: &Harness, c: &str) -> Result<(), Failure> {
    let (head, bytes) = get_bytes(h, json!({"container": c, "key": KEY})).await?;
    expect(
        bytes == BODY.as_bytes(),
        || format!("got {:?}", String::from_utf8_lossy(&bytes)),
        "get returns exactly the bytes put stored",
    )?;
    expect(
        head["offset"] == 0 && head["length"] == BODY.len(),
        || format!("get answered {head}"),
        "without a range, offset is 0 and length the whole size",
    )
}

async fn replace(h: &Harness, c: &str) -> Result<(), Failure> {
    let first = put_text(h, c, "kit/replace", "one").await?;
    let second = put_text(h, c, "kit/replace", "two, longer").await?;
    expect(
        first["etag"] != second["etag"],
        || format!("etag stayed {}", first["etag"]),
        "the etag changes whenever the content changes",
    )?;
    let (_, bytes) = get_bytes(h, json!({"container": c, "key": "kit/replace"})).await?;
    expect(
        bytes == b"two, longer",
        || format!("got {:?}", String::from_utf8_lossy(&bytes)),
        "put replaces any object under the same key",
    )
}

async fn ranges(h: &Harness, c: &str) -> Result<(), Failure> {
    let key = "kit/digits";
    put_text(h, c, key, "0123456789").await?;
    let hint = "a range is `length` bytes from `offset`, or to the end; one running past the end is cut there";
    for (range, want, offset) in [
        (json!({"offset": 2, "length": 3}), "234", 2),
        (json!({"offset": 7}), "789", 7),
        (json!({"offset": 8, "length": 100}), "89", 8),
    ] {
        let (head, bytes) =
            get_bytes(h, json!({"container": c, "key": key, "range": range})).await?;
        expect(
            bytes == want.as_bytes(),
            || format!("range {range} gave {:?}", String::from_utf8_lossy(&bytes)),
            hint,
        )?;
        expect(
            head["offset"] == offset && head["length"] == want.len(),
            || format!("range {range} answered {head}"),
            "offset and length say which bytes were served",
        )?;
        expect(
            head["meta"]["size"] == 10,
            || format!("range {range} answered meta {}", head["meta"]),
            "meta.size is the whole object's size, also for a range",
        )?;
    }
    Ok(())
}

async fn range_past_end(h: &Harness, c: &str) -> Result<(), Failure> {
    let args = json!({"container": c, "key": "kit/digits", "range": {"offset": 50}});
    match h.service().get_stream(h.slot(), args.clone()).await {
        Err(e) if e.kind.as_str() == "invalid-input" => Ok(()),
        Err(e) => Err(Failure::new(
            format!("get({args}) failed with {}: {}", e.kind, e.message),
            "a range starting past the end is invalid-input",
        )),
        Ok(_) => Err(Failure::new(
            format!("get({args}) succeeded"),
            "a range starting past the end is invalid-input",
        )),
    }
}

async fn missing_key(h: &Harness, c: &str) -> Result<(), Failure> {
    let hint = "a missing key is not-found";
    let args = json!({"container": c, "key": "kit/nope"});
    h.fails("head", args.clone(), "not-found", hint).await?;
    match h.service().get_stream(h.slot(), args.clone()).await {
        Err(e) if e.kind.as_str() == "not-found" => Ok(()),
        Err(e) => Err(Failure::new(
            format!("get({args}) failed with {}: {}", e.kind, e.message),
            hint,
        )),
        Ok(_) => Err(Failure::new(format!("get({args}) succeeded"), hint)),
    }
}

async fn missing_container(h: &Harness) -> Result<(), Failure> {
    let missing = format!("paddock-kit-missing-{:08x}", rand_suffix());
    let hint = "operations on a container that does not exist are not-found";
    h.fails(
        "head",
        json!({"container": missing, "key": "k"}),
        "not-found",
        hint,
    )
    .await?;
    h.fails("list", json!({"container": missing}), "not-found", hint)
        .await?;
    h.fails(
        "delete_container",
        json!({"name": missing}),
        "not-found",
        hint,
    )
    .await
    .map(drop)
}

async fn bad_keys(h: &Harness, c: &str) -> Result<(), Failure> {
    for key in ["../escape", "a/../b", "./a", "a\0b", ""] {
        h.fails(
            "put",
            json!({"container": c, "key": key, "body": "x"}),
            "invalid-input",
            "keys are 1 to 1024 bytes of UTF-8 without NUL and without `.` or `..` segments",
        )
        .await?;
    }
    Ok(())
}

async fn list_rollup(h: &Harness, c: &str) -> Result<(), Failure> {
    for key in [
        "roll/a.txt",
        "roll/b/1.txt",
        "roll/b/2.txt",
        "roll/c/3.txt",
        "rollo",
    ] {
        put_text(h, c, key, "x").await?;
    }
    let page = h
        .ok(
            "list",
            json!({"container": c, "prefix": "roll/", "delimiter": "/"}),
        )
        .await?;
    let keys: Vec<&str> = page["objects"]
        .as_array()
        .map(|o| o.iter().filter_map(|x| x["key"].as_str()).collect())
        .unwrap_or_default();
    let prefixes: Vec<&str> = page["prefixes"]
        .as_array()
        .map(|p| p.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    expect(
        keys == ["roll/a.txt"] && prefixes == ["roll/b/", "roll/c/"],
        || format!("objects {keys:?}, prefixes {prefixes:?}"),
        "with a delimiter, keys below it roll up into prefixes; only keys with the prefix are listed",
    )
}

async fn pagination(h: &Harness, c: &str) -> Result<(), Failure> {
    let mut want: Vec<String> = (0..25).map(|i| format!("page/{i:03}")).collect();
    want.push("page/a-c".into());
    want.push("page/a/b".into());
    for key in &want {
        put_text(h, c, key, "p").await?;
    }
    want.sort();
    let mut got = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let page = h
            .ok(
                "list",
                json!({"container": c, "prefix": "page/", "limit": 10, "cursor": cursor}),
            )
            .await?;
        let objects = page["objects"].as_array().cloned().unwrap_or_default();
        expect(
            objects.len() <= 10,
            || format!("a page of limit 10 held {}", objects.len()),
            "list returns at most `limit` objects per page",
        )?;
        got.extend(
            objects
                .iter()
                .filter_map(|o| o["key"].as_str().map(String::from)),
        );
        cursor = page["next_cursor"].as_str().map(String::from);
        if cursor.is_none() {
            break;
        }
    }
    expect(
        got == want,
        || format!("listed {got:?}, expected {want:?}"),
        "pages follow each other in lexical (byte) key order, each key once; next-cursor is none on the last page",
    )
}

/// Deterministic bytes, so the object can be checked without keeping it.
fn pattern(offset: u64, len: usize) -> Vec<u8> {
    (0..len as u64)
        .map(|i| {
            let x = (offset + i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (x >> 56) as u8
        })
        .collect()
}

async fn large(h: &Harness, c: &str) -> Result<(), Failure> {
    let size = h.large_mb << 20;
    const CHUNK: usize = 1 << 20;
    let chunks = futures::stream::iter((0..size).step_by(CHUNK).map(move |offset| {
        let len = CHUNK.min((size - offset) as usize);
        Ok::<_, std::io::Error>(bytes::Bytes::from(pattern(offset, len)))
    }));
    let mut expected = Sha256::new();
    for offset in (0..size).step_by(CHUNK) {
        expected.update(pattern(offset, CHUNK.min((size - offset) as usize)));
    }
    let expected = hex::encode(expected.finalize());
    let key = "kit/large.bin";
    let body = BodySource::new(Box::pin(chunks), Some(size));
    let meta = h
        .service()
        .put_stream(
            h.slot(),
            json!({"container": c, "key": key, "content_type": "application/octet-stream"}),
            body,
        )
        .await
        .map_err(|e| {
            Failure::new(
                format!(
                    "put of {} MiB failed: {}: {}",
                    h.large_mb, e.kind, e.message
                ),
                "put must stream a body of any size: read it from the body-source chunk by chunk",
            )
        })?;
    expect(
        meta["size"] == size,
        || format!("put answered size {} for {size} bytes", meta["size"]),
        "put returns the stored size",
    )?;
    let download = h
        .service()
        .get_stream(h.slot(), json!({"container": c, "key": key}))
        .await
        .map_err(|e| {
            Failure::new(
                format!("get failed: {}: {}", e.kind, e.message),
                "get must succeed",
            )
        })?;
    let mut hasher = Sha256::new();
    let mut read = 0u64;
    let mut body = download.body;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| {
            Failure::new(
                format!("reading failed: {e}"),
                "object-reader.read must stream the object",
            )
        })?;
        read += chunk.len() as u64;
        hasher.update(&chunk);
    }
    let got = hex::encode(hasher.finalize());
    expect(
        read == size && got == expected,
        || format!("read {read} bytes with sha256 {got}; expected {size} with {expected}"),
        "get must return exactly the bytes put stored",
    )
}

async fn delete(h: &Harness, c: &str) -> Result<(), Failure> {
    let args = json!({"container": c, "key": KEY});
    h.ok("delete", args.clone()).await?;
    h.fails(
        "head",
        args.clone(),
        "not-found",
        "a deleted object is gone",
    )
    .await?;
    h.ok("delete", args)
        .await
        .map(drop)
        .map_err(|f| Failure::new(f.reason, "deleting a missing key succeeds (as in S3)"))
}

async fn busy_container(h: &Harness, c: &str) -> Result<(), Failure> {
    h.fails(
        "delete_container",
        json!({"name": c}),
        "conflict",
        "delete-container of a container that still holds objects is conflict",
    )
    .await
    .map(drop)
}

async fn cleanup(h: &Harness, c: &str) -> Result<(), Failure> {
    loop {
        let page = h.ok("list", json!({"container": c, "limit": 1000})).await?;
        let objects = page["objects"].as_array().cloned().unwrap_or_default();
        for o in &objects {
            h.ok("delete", json!({"container": c, "key": o["key"]}))
                .await?;
        }
        if objects.is_empty() || page["next_cursor"].is_null() {
            break;
        }
    }
    h.ok("delete_container", json!({"name": c})).await?;
    let list = h.ok("list_containers", json!({})).await?;
    expect(
        !list
            .as_array()
            .is_some_and(|l| l.iter().any(|x| x["name"] == c)),
        || format!("{c} is still listed after delete-container"),
        "delete-container removes an empty container",
    )
}
