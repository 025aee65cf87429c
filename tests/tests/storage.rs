//! Every verb of `fake_storage` through the real daemon: JSON and raw
//! (streamed) bodies, ranges, listing with prefixes, delimiters and cursors,
//! deletes and containers.

use base64::Engine as _;
use paddock_integration::{Daemon, Method, assert_contains, assert_error, json, message};
use serde_json::Value;
use sha2::{Digest, Sha256};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Deterministic bytes that are not a repeating short pattern.
fn pseudo_random(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

#[test]
fn json_put_then_head_get_and_replace() {
    let d = Daemon::with_default_container();
    let meta = d.ok(
        "storage",
        "put",
        json!({
            "container": "default",
            "key": "docs/hello.txt",
            "body": "hello world",
            "content_type": "text/plain",
            "metadata": {"owner": "ann", "team": "ops"},
        }),
    );
    assert_eq!(meta["key"], "docs/hello.txt");
    assert_eq!(meta["size"], 11);
    assert_eq!(meta["etag"], sha256_hex(b"hello world"));
    assert_eq!(meta["content_type"], "text/plain");
    assert_eq!(meta["metadata"], json!({"owner": "ann", "team": "ops"}));
    assert!(meta["modified_ms"].as_u64().unwrap() > 1_600_000_000_000);

    let head = d.ok(
        "storage",
        "head",
        json!({"container": "default", "key": "docs/hello.txt"}),
    );
    assert_eq!(head, meta);

    // Raw answer: the bytes, with the metadata in headers.
    let raw = d
        .get_object(&json!({"container": "default", "key": "docs/hello.txt"}))
        .expect_status(200);
    assert_eq!(raw.body, b"hello world");
    assert_eq!(raw.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(raw.header("content-length").as_deref(), Some("11"));
    assert_eq!(
        raw.header("etag"),
        Some(format!("\"{}\"", sha256_hex(b"hello world")))
    );
    assert!(raw.header("content-range").is_none());
    let header_meta: Value =
        serde_json::from_str(&raw.header("x-paddock-meta").expect("x-paddock-meta")).unwrap();
    assert_eq!(header_meta["metadata"]["owner"], "ann");
    assert_eq!(header_meta["size"], 11);

    // JSON answer: meta, offset, length and the text.
    let j = d
        .get_object_json(&json!({"container": "default", "key": "docs/hello.txt"}))
        .expect_status(200)
        .json();
    assert_eq!(j["meta"], meta);
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(0), Some(11))
    );
    assert_eq!(j["body"], "hello world");
    assert!(j.get("body_base64").is_none());

    // Binary bytes travel as base64 both ways.
    let bin = [0u8, 159, 146, 150, 255, 0, 1];
    let b64 = base64::engine::general_purpose::STANDARD.encode(bin);
    let m = d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "bin/x", "body_base64": b64}),
    );
    assert_eq!(m["size"], 7);
    assert_eq!(m["content_type"], Value::Null);
    let j = d
        .get_object_json(&json!({"container": "default", "key": "bin/x"}))
        .expect_status(200)
        .json();
    assert_eq!(j["body_base64"], b64);
    let raw = d
        .get_object(&json!({"container": "default", "key": "bin/x"}))
        .expect_status(200);
    assert_eq!(raw.body, bin);
    assert_eq!(
        raw.header("content-type").as_deref(),
        Some("application/octet-stream")
    );

    // Replacing an object changes its etag, size, type and metadata.
    let m2 = d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "docs/hello.txt", "body": "bye"}),
    );
    assert_ne!(m2["etag"], meta["etag"]);
    let head = d.ok(
        "storage",
        "head",
        json!({"container": "default", "key": "docs/hello.txt"}),
    );
    assert_eq!(head["size"], 3);
    assert_eq!(head["content_type"], Value::Null);
    assert_eq!(head["metadata"], json!({}));
    let raw = d.get_object(&json!({"container": "default", "key": "docs/hello.txt"}));
    assert_eq!(raw.expect_status(200).body, b"bye");

    // A put without any bytes is refused by the host.
    let e = d.fail(
        "storage",
        "put",
        json!({"container": "default", "key": "k"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["body"]);
}

#[test]
fn byte_ranges() {
    let d = Daemon::with_default_container();
    d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "digits", "body": "0123456789"}),
    );

    let r = d
        .get_object(
            &json!({"container": "default", "key": "digits", "range": {"offset": 2, "length": 3}}),
        )
        .expect_status(206);
    assert_eq!(r.body, b"234");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 2-4/10"));
    assert_eq!(r.header("content-length").as_deref(), Some("3"));

    // The range in the query string, no body at all.
    let r = d
        .send(d.request(
            Method::POST,
            "/tools/domains/storage/get?container=default&key=digits&offset=7",
        ))
        .expect_status(206);
    assert_eq!(r.body, b"789");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 7-9/10"));

    let r = d
        .send(d.request(
            Method::POST,
            "/tools/domains/storage/get?container=default&key=digits&offset=1&length=2",
        ))
        .expect_status(206);
    assert_eq!(r.body, b"12");

    // A range running past the end is cut at the end.
    let r = d.get_object(&json!({"container": "default", "key": "digits", "range": {"offset": 8, "length": 100}}),
    )
    .expect_status(206);
    assert_eq!(r.body, b"89");
    assert_eq!(r.header("content-range").as_deref(), Some("bytes 8-9/10"));

    // The whole object asked as a range is a plain 200.
    let r = d
        .get_object(&json!({"container": "default", "key": "digits", "range": {"offset": 0}}))
        .expect_status(200);
    assert_eq!(r.body, b"0123456789");
    assert!(r.header("content-range").is_none());

    let j = d
        .get_object_json(
            &json!({"container": "default", "key": "digits", "range": {"offset": 2, "length": 3}}),
        )
        .expect_status(200)
        .json();
    assert_eq!(
        (j["offset"].as_u64(), j["length"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(j["body"], "234");
    assert_eq!(j["meta"]["size"], 10);

    // A range starting past the end is invalid input.
    let r =
        d.get_object(&json!({"container": "default", "key": "digits", "range": {"offset": 11}}));
    let e = assert_error(&r, 400, "invalid-input");
    assert_contains(message(&e), &["past the end", "10 bytes"]);

    // A query offset that is not a number.
    let r = d.send(d.request(
        Method::POST,
        "/tools/domains/storage/get?container=default&key=digits&offset=two",
    ));
    let e = assert_error(&r, 400, "invalid-input");
    assert_contains(message(&e), &["offset", "whole number"]);
}

fn keys(page: &Value) -> Vec<String> {
    page["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap().to_string())
        .collect()
}

fn prefixes(page: &Value) -> Vec<String> {
    page["prefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn list_with_prefix_delimiter_and_cursor() {
    let d = Daemon::with_default_container();
    d.ok("storage", "create_container", json!({"name": "listing"}));
    // Put in scrambled order: the listing is lexical whatever the order of writes.
    let all = ["c/y", "a/2", "d", "c/x/1", "b", "a/1", "c/x/2"];
    for k in all {
        d.ok(
            "storage",
            "put",
            json!({"container": "listing", "key": k, "body": format!("body of {k}")}),
        );
    }

    let page = d.ok("storage", "list", json!({"container": "listing"}));
    assert_eq!(
        keys(&page),
        ["a/1", "a/2", "b", "c/x/1", "c/x/2", "c/y", "d"]
    );
    assert!(prefixes(&page).is_empty());
    assert_eq!(page["next_cursor"], Value::Null);
    assert_eq!(page["objects"][0]["size"], "body of a/1".len());

    let page = d.ok(
        "storage",
        "list",
        json!({"container": "listing", "prefix": "c/"}),
    );
    assert_eq!(keys(&page), ["c/x/1", "c/x/2", "c/y"]);

    let page = d.ok(
        "storage",
        "list",
        json!({"container": "listing", "prefix": "c/", "delimiter": "/"}),
    );
    assert_eq!(keys(&page), ["c/y"]);
    assert_eq!(prefixes(&page), ["c/x/"]);

    let page = d.ok(
        "storage",
        "list",
        json!({"container": "listing", "delimiter": "/"}),
    );
    assert_eq!(keys(&page), ["b", "d"]);
    assert_eq!(prefixes(&page), ["a/", "c/"]);

    // Pages of two, following the cursor.
    let (mut seen, mut cursor, mut pages) = (Vec::new(), Value::Null, 0);
    loop {
        let page = d.ok(
            "storage",
            "list",
            json!({"container": "listing", "limit": 2, "cursor": cursor}),
        );
        pages += 1;
        assert!(page["objects"].as_array().unwrap().len() <= 2);
        seen.extend(keys(&page));
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
        assert!(cursor.is_string(), "{page}");
    }
    assert_eq!(seen, ["a/1", "a/2", "b", "c/x/1", "c/x/2", "c/y", "d"]);
    assert_eq!(pages, 4);

    // Pages of one with a delimiter: a rolled-up prefix counts as one entry.
    let (mut entries, mut cursor) = (Vec::new(), Value::Null);
    loop {
        let page = d.ok(
            "storage",
            "list",
            json!({"container": "listing", "delimiter": "/", "limit": 1, "cursor": cursor}),
        );
        let mut here = keys(&page);
        here.extend(prefixes(&page));
        assert_eq!(here.len(), 1, "{page}");
        entries.extend(here);
        cursor = page["next_cursor"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(entries, ["a/", "b", "c/", "d"]);

    let e = d.fail(
        "storage",
        "list",
        json!({"container": "listing", "cursor": "not-a-cursor"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["cursor", "not-a-cursor"]);
    let e = d.fail(
        "storage",
        "list",
        json!({"container": "listing", "limit": 0}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["limit"]);
    let e = d.fail(
        "storage",
        "list",
        json!({"container": "missing"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["missing", "create-container"]);
}

#[test]
fn delete_objects() {
    let d = Daemon::with_default_container();
    let at = json!({"container": "default", "key": "tmp/a.txt"});
    d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "tmp/a.txt", "body": "a"}),
    );
    d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "tmp/b.txt", "body": "b"}),
    );
    assert_eq!(d.ok("storage", "delete", at.clone()), Value::Null);
    let e = d.fail("storage", "head", at.clone(), 404, "not-found");
    assert_contains(message(&e), &["tmp/a.txt", "does not exist"]);
    let e = assert_error(&d.get_object(&at.clone()), 404, "not-found");
    assert_eq!(e["verb"], "get");
    // Deleting a missing key succeeds, as in S3.
    d.ok("storage", "delete", at.clone());
    // The neighbour is untouched.
    let page = d.ok(
        "storage",
        "list",
        json!({"container": "default", "prefix": "tmp/"}),
    );
    assert_eq!(keys(&page), ["tmp/b.txt"]);
    // A missing container is not-found, a bad key invalid input.
    let e = d.fail(
        "storage",
        "delete",
        json!({"container": "nope", "key": "a"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["container 'nope'"]);
    let e = d.fail(
        "storage",
        "delete",
        json!({"container": "default", "key": "../etc/passwd"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["invalid object key", "'..'"]);
}

#[test]
fn containers_lifecycle() {
    let d = Daemon::with_default_container();
    let listed = d.ok("storage", "list_containers", json!({}));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["name"], "default");
    assert!(listed[0]["created_ms"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!(
        d.ok("storage", "create_container", json!({"name": "photos"})),
        Value::Null
    );
    let list = d.ok("storage", "list-containers", json!({}));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["default", "photos"]);
    assert!(list[1]["created_ms"].as_u64().unwrap() > 1_600_000_000_000);

    let e = d.fail(
        "storage",
        "create_container",
        json!({"name": "photos"}),
        409,
        "already-exists",
    );
    assert_contains(message(&e), &["photos", "already exists"]);
    let e = d.fail(
        "storage",
        "create_container",
        json!({"name": "Bad/Name"}),
        400,
        "invalid-input",
    );
    assert_contains(message(&e), &["invalid container name \"Bad/Name\""]);

    let e = d.fail(
        "storage",
        "put",
        json!({"container": "albums", "key": "k", "body": "x"}),
        404,
        "not-found",
    );
    assert_contains(message(&e), &["albums", "create-container"]);

    d.ok(
        "storage",
        "put",
        json!({"container": "photos", "key": "cat.jpg", "body": "meow"}),
    );
    let e = d.fail(
        "storage",
        "delete_container",
        json!({"name": "photos"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["still holds objects"]);
    d.ok(
        "storage",
        "delete",
        json!({"container": "photos", "key": "cat.jpg"}),
    );
    d.ok("storage", "delete_container", json!({"name": "photos"}));
    let listed = d.ok("storage", "list_containers", json!({}));
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["name"], "default");
    assert!(listed[0]["created_ms"].as_u64().unwrap() > 1_700_000_000_000);
    d.fail(
        "storage",
        "delete_container",
        json!({"name": "photos"}),
        404,
        "not-found",
    );
    d.ok(
        "storage",
        "put",
        json!({"container": "default", "key": "keep", "body": "x"}),
    );
    let e = d.fail(
        "storage",
        "delete_container",
        json!({"name": "default"}),
        409,
        "conflict",
    );
    assert_contains(message(&e), &["default"]);
}

#[test]
fn raw_streamed_put_of_5_mib_and_byte_exact_get() {
    let d = Daemon::with_default_container();
    let data = pseudo_random(5 * 1024 * 1024 + 123);
    let sha = sha256_hex(&data);

    // No content-length: the body is sent chunked and streamed into the driver.
    let body = reqwest::blocking::Body::new(std::io::Cursor::new(data.clone()));
    let put = d
        .post_raw(
            "/tools/domains/storage/put?container=default&key=big/blob.bin&meta.origin=it&meta.run=1",
            body,
        )
        .expect_status(200)
        .json();
    assert_eq!(put["key"], "big/blob.bin");
    assert_eq!(put["size"], data.len());
    assert_eq!(put["etag"], sha);
    assert_eq!(put["content_type"], "application/octet-stream");
    assert_eq!(put["metadata"], json!({"origin": "it", "run": "1"}));

    let got = d
        .get_object(&json!({"container": "default", "key": "big/blob.bin"}))
        .expect_status(200);
    assert_eq!(got.header("content-length"), Some(data.len().to_string()));
    assert_eq!(got.body.len(), data.len());
    assert_eq!(sha256_hex(&got.body), sha);
    assert!(got.body == data, "the bytes differ");

    // A slice from deep inside it.
    let from = 5 * 1024 * 1024 - 7;
    let r = d.get_object(&json!({"container": "default", "key": "big/blob.bin", "range": {"offset": from, "length": 100}}),
    )
    .expect_status(206);
    assert_eq!(r.body, &data[from..from + 100]);

    // With a content-length, and a content type taken from the header.
    let csv = b"id,name\n1,ann\n2,bob\n".to_vec();
    let put = d
        .send(
            d.request(
                Method::POST,
                "/tools/domains/storage/put?container=default&key=people.csv",
            )
            .header("content-type", "text/csv")
            .body(csv.clone()),
        )
        .expect_status(200)
        .json();
    assert_eq!(put["content_type"], "text/csv");
    assert_eq!(put["size"], csv.len());
    let got = d
        .get_object(&json!({"container": "default", "key": "people.csv"}))
        .expect_status(200);
    assert_eq!(got.body, csv);
    assert_eq!(got.header("content-type").as_deref(), Some("text/csv"));

    // A raw put with a bad key is refused with the driver's reason.
    let r = d.post_raw(
        "/tools/domains/storage/put?container=default&key=/abs",
        b"x".to_vec(),
    );
    let e = assert_error(&r, 400, "invalid-input");
    assert_contains(message(&e), &["\"/abs\"", "starts with '/'"]);

    let head = d.ok(
        "storage",
        "head",
        json!({"container": "default", "key": "big/blob.bin"}),
    );
    assert_eq!(head["etag"], sha);
}

#[test]
fn health() {
    let d = Daemon::with_default_container();
    let h = d.get("/health/storage").expect_status(200).json();
    assert_eq!(h["status"], "healthy");
    assert_eq!(h["slot"], "storage");
    assert_eq!(h["driver"], "local");
    let report = d.ok("storage", "health", json!({}));
    assert_eq!(report["healthy"], true);
    assert_eq!(report["details"]["containers"], "1");
    d.ok("storage", "create_container", json!({"name": "more"}));
    let report = d.ok("storage", "health", json!({}));
    assert_eq!(report["details"]["containers"], "2");
}
