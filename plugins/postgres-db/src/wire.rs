//! One PostgreSQL connection over a TCP stream: startup, authentication
//! (cleartext, md5, SCRAM-SHA-256), the simple query protocol (transaction
//! control, migration scripts) and the extended one (Parse, Describe, Bind,
//! Execute, Sync) with every parameter and result in text format.
//!
//! Messages are encoded and decoded by `postgres-protocol`; this module only
//! moves them and keeps the protocol's order. No TLS: `sslmode=require` (and
//! stricter) is refused by [`crate::config`] before anything connects.

use std::io::{Read, Write};

use bytes::BytesMut;
use fallible_iterator::FallibleIterator;
use paddock_sdk::{Error, Result};
use postgres_protocol::Oid;
use postgres_protocol::authentication::md5_hash;
use postgres_protocol::authentication::sasl::{ChannelBinding, SCRAM_SHA_256, ScramSha256};
use postgres_protocol::message::backend::{Message, RowDescriptionBody};
use postgres_protocol::message::frontend;

use crate::config::ConnectParams;
use crate::error::DbError;

/// A column of a statement's result, from its `RowDescription`.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub type_oid: Oid,
}

/// A statement parsed by the server (the unnamed one): its parameter types,
/// as given or inferred, and its result columns.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub params: Vec<Oid>,
    pub fields: Vec<Field>,
}

/// What running a statement gave: its rows (text values, `None` for NULL)
/// and its command tag (`INSERT 0 3`).
#[derive(Debug, Default)]
pub struct Outcome {
    pub rows: Vec<Vec<Option<Vec<u8>>>>,
    pub tag: String,
}

impl Outcome {
    /// The row count of the command tag, for the commands that change rows.
    pub fn rows_affected(&self) -> u64 {
        let mut words = self.tag.split_whitespace();
        match words.next() {
            Some("INSERT" | "UPDATE" | "DELETE" | "MERGE" | "COPY") => {
                words.last().and_then(|n| n.parse().ok()).unwrap_or(0)
            }
            _ => 0,
        }
    }
}

/// A result larger than this is refused rather than risk the instance's
/// memory limit.
pub const MAX_RESULT_BYTES: usize = 64 << 20;

/// The transaction status of the last `ReadyForQuery`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    Idle,
    InTransaction,
    Failed,
}

pub struct Conn<S> {
    stream: S,
    buf: BytesMut,
    out: BytesMut,
    pub status: TxStatus,
    pub server_version: String,
}

fn io(e: std::io::Error) -> Error {
    Error::unavailable(format!("the connection to PostgreSQL failed: {e}"), None)
}

fn protocol(what: &str) -> Error {
    Error::vendor(
        "protocol",
        format!("unexpected message from PostgreSQL {what}"),
    )
}

impl<S: Read + Write> Conn<S> {
    /// Starts a session on `stream` and authenticates; `password` is asked
    /// for only when the server wants one.
    pub fn start(
        stream: S,
        params: &ConnectParams,
        password: &dyn Fn() -> Result<String>,
    ) -> Result<Self> {
        let mut conn = Conn {
            stream,
            buf: BytesMut::with_capacity(8192),
            out: BytesMut::with_capacity(8192),
            status: TxStatus::Idle,
            server_version: String::new(),
        };
        let mut startup = vec![
            ("user", params.user.as_str()),
            ("database", params.database.as_str()),
            ("client_encoding", "UTF8"),
            ("DateStyle", "ISO, YMD"),
            ("TimeZone", "UTC"),
            ("IntervalStyle", "iso_8601"),
            ("extra_float_digits", "3"),
            ("bytea_output", "hex"),
        ];
        startup.push(("application_name", params.application_name.as_str()));
        frontend::startup_message(startup, &mut conn.out).map_err(io)?;
        conn.flush()?;
        conn.authenticate(&params.user, password)?;
        loop {
            match conn.next()? {
                Message::ReadyForQuery(b) => {
                    conn.status = status(b.status());
                    return Ok(conn);
                }
                Message::ParameterStatus(p) => {
                    if p.name().map_err(io)? == "server_version" {
                        conn.server_version = p.value().map_err(io)?.to_owned();
                    }
                }
                Message::BackendKeyData(_) | Message::NoticeResponse(_) => {}
                Message::ErrorResponse(e) => return Err(DbError::from_body(&e).into_error()),
                _ => return Err(protocol("during startup")),
            }
        }
    }

    fn authenticate(&mut self, user: &str, password: &dyn Fn() -> Result<String>) -> Result<()> {
        let mut scram: Option<ScramSha256> = None;
        loop {
            match self.next()? {
                Message::AuthenticationOk => return Ok(()),
                Message::AuthenticationCleartextPassword => {
                    frontend::password_message(password()?.as_bytes(), &mut self.out)
                        .map_err(io)?;
                }
                Message::AuthenticationMd5Password(b) => {
                    let hash = md5_hash(user.as_bytes(), password()?.as_bytes(), b.salt());
                    frontend::password_message(hash.as_bytes(), &mut self.out).map_err(io)?;
                }
                Message::AuthenticationSasl(b) => {
                    let mechanisms: Vec<String> = b
                        .mechanisms()
                        .map(|m| Ok(m.to_owned()))
                        .collect()
                        .map_err(io)?;
                    if !mechanisms.iter().any(|m| m == SCRAM_SHA_256) {
                        return Err(Error::unsupported(format!(
                            "PostgreSQL offers SASL mechanisms {mechanisms:?}; the driver speaks \
                             SCRAM-SHA-256 (channel binding needs TLS, which it does not have)"
                        )));
                    }
                    let s = scram.insert(ScramSha256::new(
                        password()?.as_bytes(),
                        ChannelBinding::unsupported(),
                    ));
                    frontend::sasl_initial_response(SCRAM_SHA_256, s.message(), &mut self.out)
                        .map_err(io)?;
                }
                Message::AuthenticationSaslContinue(b) => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| protocol("(SASL out of order)"))?;
                    s.update(b.data()).map_err(|e| {
                        Error::access_denied(format!("SCRAM authentication failed: {e}"))
                    })?;
                    frontend::sasl_response(s.message(), &mut self.out).map_err(io)?;
                }
                Message::AuthenticationSaslFinal(b) => {
                    let s = scram
                        .as_mut()
                        .ok_or_else(|| protocol("(SASL out of order)"))?;
                    s.finish(b.data()).map_err(|e| {
                        Error::access_denied(format!(
                            "the server's SCRAM signature does not verify: {e}"
                        ))
                    })?;
                    continue;
                }
                Message::AuthenticationGss
                | Message::AuthenticationKerberosV5
                | Message::AuthenticationSspi
                | Message::AuthenticationScmCredential
                | Message::AuthenticationGssContinue(_) => {
                    return Err(Error::unsupported(
                        "PostgreSQL asks for GSSAPI/SSPI/Kerberos authentication; the driver \
                         speaks password, md5 and SCRAM-SHA-256",
                    ));
                }
                Message::ErrorResponse(e) => return Err(DbError::from_body(&e).into_error()),
                Message::NoticeResponse(_) => continue,
                _ => return Err(protocol("during authentication")),
            }
            self.flush()?;
        }
    }

    fn flush(&mut self) -> Result<()> {
        self.stream.write_all(&self.out).map_err(io)?;
        self.stream.flush().map_err(io)?;
        self.out.clear();
        Ok(())
    }

    /// The next message, reading as much as it takes.
    fn next(&mut self) -> Result<Message> {
        loop {
            if let Some(m) = Message::parse(&mut self.buf).map_err(io)? {
                return Ok(m);
            }
            let mut chunk = [0u8; 16 * 1024];
            let n = self.stream.read(&mut chunk).map_err(io)?;
            if n == 0 {
                return Err(Error::unavailable("PostgreSQL closed the connection", None));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// Runs `sql` (any number of statements) with the simple query protocol,
    /// dropping rows; the first error, after the server is ready again.
    pub fn simple(&mut self, sql: &str) -> Result<()> {
        frontend::query(sql, &mut self.out).map_err(io)?;
        self.flush()?;
        let mut failed = None;
        loop {
            match self.next()? {
                Message::ReadyForQuery(b) => {
                    self.status = status(b.status());
                    return failed.map_or(Ok(()), Err);
                }
                Message::ErrorResponse(e) => {
                    failed.get_or_insert(DbError::from_body(&e).into_error());
                }
                Message::CopyInResponse(_) => {
                    frontend::copy_fail("COPY FROM STDIN is not supported", &mut self.out)
                        .map_err(io)?;
                    self.flush()?;
                }
                _ => {}
            }
        }
    }

    /// Parses `sql` as the unnamed statement; `types` gives parameter types
    /// (0: let the server infer it).
    pub fn prepare(&mut self, sql: &str, types: &[Oid]) -> Result<Prepared> {
        frontend::parse("", sql, types.iter().copied(), &mut self.out).map_err(io)?;
        frontend::describe(b'S', "", &mut self.out).map_err(io)?;
        frontend::sync(&mut self.out);
        self.flush()?;
        let mut failed = None;
        let mut prepared = Prepared {
            params: Vec::new(),
            fields: Vec::new(),
        };
        loop {
            match self.next()? {
                Message::ParameterDescription(p) => {
                    prepared.params = p.parameters().collect().map_err(io)?;
                }
                Message::RowDescription(r) => prepared.fields = fields(&r)?,
                Message::ReadyForQuery(b) => {
                    self.status = status(b.status());
                    return failed.map_or(Ok(prepared), Err);
                }
                Message::ErrorResponse(e) => {
                    failed.get_or_insert(DbError::from_body(&e).into_error());
                }
                _ => {}
            }
        }
    }

    /// Binds `values` (text format) to the unnamed statement and runs it,
    /// once per row of `batches`; results of every run are collected, the
    /// first error stops the rest (the server skips to the Sync). With
    /// `first_row`, an error names the run it came from, counting from it
    /// (`row 3: …`).
    pub fn run_many(
        &mut self,
        batches: &[Vec<Option<Vec<u8>>>],
        first_row: Option<usize>,
    ) -> Result<Vec<Outcome>> {
        for values in batches {
            frontend::bind(
                "",
                "",
                std::iter::empty(),
                values,
                |v, buf| match v {
                    Some(bytes) => {
                        buf.extend_from_slice(bytes);
                        Ok(postgres_protocol::IsNull::No)
                    }
                    None => Ok(postgres_protocol::IsNull::Yes),
                },
                std::iter::empty(),
                &mut self.out,
            )
            .map_err(|e| match e {
                frontend::BindError::Conversion(e) => Error::invalid_input(e.to_string()),
                frontend::BindError::Serialization(e) => io(e),
            })?;
            frontend::execute("", 0, &mut self.out).map_err(io)?;
        }
        frontend::sync(&mut self.out);
        self.flush()?;
        let mut outcomes = Vec::with_capacity(batches.len());
        let mut current = Outcome::default();
        let mut bytes = 0usize;
        let mut failed = None;
        loop {
            match self.next()? {
                Message::DataRow(row) => {
                    if failed.is_some() {
                        continue;
                    }
                    let buf = row.buffer();
                    bytes += buf.len() + 16;
                    if bytes > MAX_RESULT_BYTES {
                        failed = Some(Error::quota_exceeded(format!(
                            "the result is larger than {} MiB; add LIMIT, or page with read-rows",
                            MAX_RESULT_BYTES >> 20
                        )));
                        current.rows.clear();
                        continue;
                    }
                    let values: Vec<Option<Vec<u8>>> = row
                        .ranges()
                        .map(|r| Ok(r.map(|r| buf[r].to_vec())))
                        .collect()
                        .map_err(io)?;
                    current.rows.push(values);
                }
                Message::CommandComplete(c) => {
                    current.tag = c.tag().map_err(io)?.to_owned();
                    outcomes.push(std::mem::take(&mut current));
                }
                Message::EmptyQueryResponse => {
                    outcomes.push(std::mem::take(&mut current));
                }
                Message::ErrorResponse(e) => {
                    let e = DbError::from_body(&e).into_error();
                    let e = match first_row {
                        Some(first) => {
                            crate::error::within(e, &format!("row {}", first + outcomes.len()))
                        }
                        None => e,
                    };
                    failed.get_or_insert(e);
                }
                Message::ReadyForQuery(b) => {
                    self.status = status(b.status());
                    return failed.map_or(Ok(outcomes), Err);
                }
                Message::CopyInResponse(_) => {
                    frontend::copy_fail("COPY FROM STDIN is not supported", &mut self.out)
                        .map_err(io)?;
                    self.flush()?;
                }
                _ => {}
            }
        }
    }

    /// [`Conn::run_many`] with one set of values.
    pub fn run(&mut self, values: Vec<Option<Vec<u8>>>) -> Result<Outcome> {
        let mut out = self.run_many(&[values], None)?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Prepares and runs `sql` with values already in text form (the
    /// driver's own statements).
    pub fn exec(&mut self, sql: &str, values: &[Option<&str>]) -> Result<Outcome> {
        self.prepare(sql, &vec![0; values.len()])?;
        self.run(
            values
                .iter()
                .map(|v| v.map(|s| s.as_bytes().to_vec()))
                .collect(),
        )
    }

    /// Ends the session politely.
    pub fn close(mut self) {
        frontend::terminate(&mut self.out);
        let _ = self.flush();
    }
}

fn status(byte: u8) -> TxStatus {
    match byte {
        b'T' => TxStatus::InTransaction,
        b'E' => TxStatus::Failed,
        _ => TxStatus::Idle,
    }
}

fn fields(r: &RowDescriptionBody) -> Result<Vec<Field>> {
    r.fields()
        .map(|f| {
            Ok(Field {
                name: f.name().to_owned(),
                type_oid: f.type_oid(),
            })
        })
        .collect()
        .map_err(io)
}

/// A text value of a result as a string (the session is UTF-8).
pub fn text(v: &[u8]) -> String {
    String::from_utf8_lossy(v).into_owned()
}
